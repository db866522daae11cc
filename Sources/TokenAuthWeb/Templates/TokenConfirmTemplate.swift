#if Console
extension Templates {
    /// A confirmation before deactivating, revoking or deleting: the consequence in the product
    /// documents' words, a button that names the action (never "Yes"), and focus on Cancel, not on it.
    static let tokenConfirm = """
        <h1>{{heading}}</h1>
        <p>Token <strong>{{name}}</strong> <code>{{id}}</code></p>
        <div class="{{#danger}}danger{{/danger}}{{^danger}}warning{{/danger}}"><p>{{consequence}}</p></div>
        <form method="post" action="/tokens/{{id}}/{{action}}" class="buttons">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <a href="/tokens/{{id}}" class="button" autofocus>Cancel</a>
          <button type="submit" class="{{#danger}}danger{{/danger}}{{^danger}}primary{{/danger}}">{{button}}</button>
        </form>
        """
}
#endif
