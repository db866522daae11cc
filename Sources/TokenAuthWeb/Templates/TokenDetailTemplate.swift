#if Console
extension Templates {
    /// One token: its facts, its actions, usage by day (chart), by operation and by status, the scopes
    /// it used against those it was granted, and its audit trail.
    static let tokenDetail = """
        <p class="crumbs"><a href="/tokens">Access tokens</a></p>
        <div class="heading">
          <h1>{{token.name}}</h1>
          <span class="badge {{token.statusClass}}">{{token.statusLabel}}</span>
        </div>
        {{#token}}
        <div class="actions-bar">
          {{#canRename}}<a class="button" href="/tokens/{{id}}/rename">Rename</a>{{/canRename}}
          {{#canActivate}}<form method="post" action="/tokens/{{id}}/activate"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Activate</button></form>{{/canActivate}}
          {{#canDeactivate}}<a class="button" href="/tokens/{{id}}/deactivate">Deactivate</a>{{/canDeactivate}}
          {{#canRotate}}<a class="button" href="/tokens/{{id}}/rotate">Rotate</a>{{/canRotate}}
          {{#canRevoke}}<a class="button danger" href="/tokens/{{id}}/revoke">Revoke</a>{{/canRevoke}}
          {{#canDelete}}<a class="button danger" href="/tokens/{{id}}/delete">Delete</a>{{/canDelete}}
        </div>
        <dl class="facts">
          <dt>Id</dt><dd><code>{{id}}</code></dd>
          <dt>Kind</dt><dd>{{kind}}</dd>
          <dt>Owner / creator</dt><dd>{{owner}}</dd>
          <dt>Status</dt><dd>{{statusLabel}} · {{expiry}}</dd>
          <dt>Scopes granted</dt><dd>{{#scopes}}<code>{{.}}</code> {{/scopes}}</dd>
          <dt>In force now</dt><dd>{{#effective}}<code>{{.}}</code> {{/effective}}{{^effective}}none{{/effective}}</dd>
          <dt>Hint</dt><dd><code>{{hint}}…</code></dd>
          <dt>Created</dt><dd>{{createdAbsolute}} ({{created}})</dd>
          <dt>Last used</dt><dd>{{lastUsed}}</dd>
          <dt>Uses</dt><dd>{{uses}} ({{denied}} denied)</dd>
          <dt>Rate limit</dt><dd>{{rateLimit}}</dd>
          {{#rotatedFrom}}<dt>Rotated from</dt><dd><a href="/tokens/{{rotatedFrom}}"><code>{{rotatedFrom}}</code></a></dd>{{/rotatedFrom}}
          {{#rotatedTo}}<dt>Rotated to</dt><dd><a href="/tokens/{{rotatedTo}}"><code>{{rotatedTo}}</code></a></dd>{{/rotatedTo}}
        </dl>
        {{/token}}
        <section aria-labelledby="usage-h">
          <h2 id="usage-h">Usage, last {{days}} days</h2>
          {{> usage_chart}}
        </section>
        <div class="columns">
          <section aria-labelledby="ops-h">
            <h2 id="ops-h">By operation</h2>
            {{#hasOperations}}<table class="compact"><thead><tr><th scope="col">Operation</th><th scope="col">Requests</th></tr></thead>
            <tbody>{{#operations}}<tr><td><code>{{key}}</code></td><td class="num">{{count}}</td></tr>{{/operations}}</tbody></table>{{/hasOperations}}
            {{^hasOperations}}<p class="muted">No operations recorded. Gateways that link the library record them with ta_record_usage.</p>{{/hasOperations}}
          </section>
          <section aria-labelledby="statuses-h">
            <h2 id="statuses-h">By status</h2>
            {{#hasStatuses}}<table class="compact"><thead><tr><th scope="col">HTTP status</th><th scope="col">Requests</th></tr></thead>
            <tbody>{{#statuses}}<tr><td>{{key}}</td><td class="num">{{count}}</td></tr>{{/statuses}}</tbody></table>{{/hasStatuses}}
            {{^hasStatuses}}<p class="muted">No statuses recorded.</p>{{/hasStatuses}}
          </section>
        </div>
        <section aria-labelledby="scopes-h">
          <h2 id="scopes-h">Scopes used against scopes granted, last {{days}} days</h2>
          <table class="compact"><thead><tr><th scope="col">Scope</th><th scope="col">Granted</th><th scope="col">Required by a request</th></tr></thead>
          <tbody>{{#scopeUse}}<tr><td><code>{{scope}}</code></td><td>{{granted}}</td><td>{{used}}</td></tr>{{/scopeUse}}</tbody></table>
          {{#advice}}<p class="advice">{{advice}}</p>{{/advice}}
        </section>
        <section aria-labelledby="audit-h">
          <h2 id="audit-h">Audit trail</h2>
          {{#mayAudit}}{{> audit_rows}}{{/mayAudit}}
          {{^mayAudit}}<p class="muted">The audit trail is shown to admins.</p>{{/mayAudit}}
        </section>
        """
}
#endif
