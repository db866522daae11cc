#if Console
extension Templates {
    /// The tokens list: filters (kept in the URL), the table with each row's actions, pagination, and
    /// an empty state.
    static let tokens = """
        <div class="heading">
          <h1>Access tokens</h1>
          {{#mayCreate}}<a class="button primary" href="/tokens/new">Add token</a>{{/mayCreate}}
        </div>
        <form class="filters" method="get" action="/tokens" role="search" aria-label="Filter tokens">
          <div><label for="f-name">Name contains</label><input id="f-name" name="name" value="{{filters.name}}" maxlength="200"></div>
          <div><label for="f-kind">Kind</label>
            <select id="f-kind" name="kind">{{#filters.kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/filters.kinds}}</select></div>
          <div><label for="f-owner">Owner</label><input id="f-owner" name="owner" value="{{filters.owner}}" maxlength="63"></div>
          <div><label for="f-status">Status</label>
            <select id="f-status" name="status">{{#filters.statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/filters.statuses}}</select></div>
          <div class="filter-buttons"><button type="submit">Filter</button>{{#filters.active}} <a href="/tokens">Clear filters</a>{{/filters.active}}</div>
        </form>
        {{#hasRows}}
        <div class="table-wrap">
        <table class="tokens">
          <caption class="visually-hidden">Access tokens{{#filters.active}}, filtered{{/filters.active}}</caption>
          <thead><tr>
            <th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Owner / creator</th><th scope="col">Scopes</th>
            <th scope="col">Status</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Uses</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr></thead>
          <tbody>
          {{#rows}}
          <tr>
            <th scope="row"><a href="/tokens/{{id}}">{{name}}</a><div class="muted mono">{{hint}}…</div></th>
            <td>{{kind}}</td>
            <td>{{owner}}</td>
            <td><ul class="scopes">{{#scopes}}<li><code>{{.}}</code></li>{{/scopes}}</ul></td>
            <td><span class="badge {{statusClass}}">{{statusLabel}}</span><div class="muted">{{expiry}}</div></td>
            <td><time datetime="{{createdISO}}" title="{{createdAbsolute}}">{{created}}</time></td>
            <td>{{lastUsed}}</td>
            <td class="uses">
              <span>{{uses}}</span>
              <svg class="spark" width="{{sparkWidth}}" height="16" viewBox="0 0 {{sparkWidth}} 16" role="img" aria-label="{{sparkLabel}}">
                {{#bars}}<rect x="{{x}}" y="{{y}}" width="3" height="{{height}}"><title>{{label}}</title></rect>{{/bars}}
              </svg>
            </td>
            <td>{{> row_actions}}</td>
          </tr>
          {{/rows}}
          </tbody>
        </table>
        </div>
        <p class="muted freshness">Usage as of {{asOf}}. Gateways write their counts every {{flushInterval}} or so, so the latest uses can appear a moment later.</p>
        {{/hasRows}}
        {{^hasRows}}
        <div class="empty">
          {{#filters.active}}<p>{{emptyMessage}}</p><p><a href="/tokens">Clear filters</a></p>{{/filters.active}}
          {{^filters.active}}
          <h2>No access tokens yet</h2>
          <p>An access token lets a script or an integration call the API as you (a personal token) or as itself (a service token).</p>
          {{#mayCreate}}<p><a class="button primary" href="/tokens/new">Add token</a></p>{{/mayCreate}}
          {{/filters.active}}
        </div>
        {{/hasRows}}
        <nav class="pages" aria-label="Pages">
          {{#firstPage}}<a href="{{firstPage}}">First page</a>{{/firstPage}}
          {{#nextPage}}<a href="{{nextPage}}" rel="next">Next page</a>{{/nextPage}}
        </nav>
        """

    /// A token's actions, offered only when the actor may take them (the core says which); each that
    /// changes something goes through a confirmation page or a POST form.
    static let rowActions = """
        {{#hasActions}}
        <details class="menu">
          <summary>Actions<span class="visually-hidden"> for {{name}}</span></summary>
          <ul>
            {{#canRename}}<li><a href="/tokens/{{id}}/rename">Rename</a></li>{{/canRename}}
            {{#canActivate}}<li><form method="post" action="/tokens/{{id}}/activate"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Activate</button></form></li>{{/canActivate}}
            {{#canDeactivate}}<li><a href="/tokens/{{id}}/deactivate">Deactivate</a></li>{{/canDeactivate}}
            {{#canRotate}}<li><a href="/tokens/{{id}}/rotate">Rotate</a></li>{{/canRotate}}
            {{#canRevoke}}<li><a href="/tokens/{{id}}/revoke">Revoke</a></li>{{/canRevoke}}
            {{#canDelete}}<li><a href="/tokens/{{id}}/delete">Delete</a></li>{{/canDelete}}
          </ul>
        </details>
        {{/hasActions}}
        """
}
#endif
