#if Console
extension Templates {
    /// The create form: name, kind (personal by default), scopes from what the actor may grant, each
    /// on every resource or only on those a pattern covers (plus free text), expiry presets, an
    /// optional rate limit. The scope checkboxes share the legend in their names (aria-labelledby):
    /// their fieldset also holds the pattern fields, so the fieldset alone does not group them. A
    /// single-use form id makes a resubmission (a reload of the answer) harmless.
    static let tokenNew = """
        <h1>Add access token</h1>
        {{#problem}}<div class="problem" role="alert"><p>{{problem}}</p></div>{{/problem}}
        <form method="post" action="/tokens" class="stack">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="form_id" value="{{formID}}">
          <div class="field">
            <label for="name">Name</label>
            <input id="name" name="name" required maxlength="200" value="{{name}}" aria-describedby="name-help" autofocus>
            <p id="name-help" class="help">A name people recognise, such as the integration that will use it.</p>
          </div>
          <fieldset>
            <legend>Kind</legend>
            {{#kinds}}
            <div class="choice">
              <input type="radio" id="kind-{{value}}" name="kind" value="{{value}}"{{#checked}} checked{{/checked}} aria-describedby="kind-{{value}}-help">
              <label for="kind-{{value}}">{{label}}</label>
              <p id="kind-{{value}}-help" class="help">{{help}}</p>
            </div>
            {{/kinds}}
          </fieldset>
          <fieldset>
            <legend id="scopes-legend">Scopes</legend>
            <p class="help">Only the scopes you hold yourself are offered: a token can never do more than its creator. Grant the fewest it needs, on the fewest resources.</p>
            <p id="pattern-help" class="help">A pattern grants the scope only on the resources it covers: <code>project/42</code> covers project 42 and everything below it, such as <code>project/42/tickets/7</code>; <code>*</code> stands for any one segment, as in <code>site/*/rack/7</code>. The token then holds <code>SCOPE@PATTERN</code>.</p>
            {{#scopes}}
            <div class="grant">
              <div class="choice">
                <input type="checkbox" id="scope-{{index}}" name="scope" value="{{scope}}"{{#checked}} checked{{/checked}} aria-labelledby="scopes-legend scope-{{index}}-label">
                <label id="scope-{{index}}-label" for="scope-{{index}}"><code>{{scope}}</code>{{#description}} — {{description}}{{/description}}</label>
              </div>
              <div class="limit">
                <input type="hidden" name="offered" value="{{scope}}">
                <label for="limit-{{index}}">Only on<span class="visually-hidden"> resources matching, for {{scope}}</span></label>
                <input id="limit-{{index}}" name="limit" value="{{limit}}" placeholder="{{held}}" maxlength="200" class="mono"
                       aria-describedby="pattern-help" autocomplete="off" spellcheck="false">
              </div>
            </div>
            {{/scopes}}
            {{^scopes}}<p>You hold no scope that you could grant.</p>{{/scopes}}
          </fieldset>
          <div class="field">
            <label for="scopes-text">More grants (space-separated)</label>
            <input id="scopes-text" name="scopes_text" value="{{scopesText}}" maxlength="2000" class="mono" aria-describedby="scopes-text-help">
            <p id="scopes-text-help" class="help">Each a scope you hold, on every resource (<code>tickets:read</code>) or on a pattern (<code>tickets:read@project/42</code>).</p>
          </div>
          <fieldset>
            <legend>Expiration</legend>
            {{#expiries}}
            <div class="choice inline">
              <input type="radio" id="expires-{{value}}" name="expires" value="{{value}}"{{#checked}} checked{{/checked}}>
              <label for="expires-{{value}}">{{label}}</label>
            </div>
            {{/expiries}}
          </fieldset>
          <div class="field">
            <label for="expires-on">Custom date (UTC, used with "Custom date")</label>
            <input type="date" id="expires-on" name="expires_on" value="{{expiresOn}}">
          </div>
          <fieldset>
            <legend>Rate limit (optional)</legend>
            <div class="inline-fields">
              <div class="field"><label for="rate">Requests</label><input type="number" id="rate" name="rate" min="1" max="4294967295" value="{{rate}}" inputmode="numeric"></div>
              <div class="field"><label for="rate-window">per</label>
                <select id="rate-window" name="rate_window">{{#windows}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/windows}}</select></div>
            </div>
            <p class="help">Empty: the store's default.</p>
          </fieldset>
          <div class="buttons"><button type="submit" class="primary">Generate token</button> <a href="/tokens">Cancel</a></div>
        </form>
        """
}
#endif
