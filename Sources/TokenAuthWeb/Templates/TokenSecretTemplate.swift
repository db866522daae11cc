#if Console
extension Templates {
    /// The new secret, shown once: only in the answer to the POST that made it (never in a URL or a
    /// redirect; Cache-Control: no-store), with a copy button and the product documents' warning, and
    /// the grants it carries as written (`tickets:read@project/42`).
    static let tokenSecret = """
        <h1>{{heading}}</h1>
        <div class="warning" role="alert">
          <p><strong>Copy your new token now.</strong> Your API access token is visible one time, immediately after you create it. If you leave or refresh this page, it will be obscured and no longer visible. Copy it and store it somewhere secure.</p>
        </div>
        <div class="secret">
          <label for="secret">Token for “{{name}}”</label>
          <div class="secret-row">
            <input id="secret" class="mono" value="{{secret}}" readonly autocomplete="off" spellcheck="false">
            <button type="button" data-copy="secret" class="primary">Copy</button>
          </div>
          <p id="copy-status" class="help" role="status" aria-live="polite"></p>
        </div>
        <p>Grants: {{#grants}}<code>{{.}}</code> {{/grants}}</p>
        {{#note}}<p>{{note}}</p>{{/note}}
        <p>Its id <code>{{id}}</code> names it everywhere else, in the console and in the logs.</p>
        <p><a class="button" href="/tokens/{{id}}">Done</a></p>
        """
}
#endif
