#if Console
extension Templates {
    /// Rotation: a new secret now; the old one keeps working for the grace period chosen.
    static let tokenRotate = """
        <h1>Rotate “{{name}}”</h1>
        <p>Rotation issues a new token with the same name, kind, owner, scopes and rate limit, and shows its secret once. The old token stops working when the grace period ends, so the integration can move to the new one first.</p>
        <form method="post" action="/tokens/{{id}}/rotate" class="stack">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="form_id" value="{{formID}}">
          <fieldset>
            <legend>The old token keeps working for</legend>
            {{#graces}}
            <div class="choice inline"><input type="radio" id="grace-{{value}}" name="grace" value="{{value}}"{{#checked}} checked{{/checked}}><label for="grace-{{value}}">{{label}}</label></div>
            {{/graces}}
          </fieldset>
          <div class="buttons"><a href="/tokens/{{id}}" class="button" autofocus>Cancel</a> <button type="submit" class="primary">Rotate token</button></div>
        </form>
        """
}
#endif
