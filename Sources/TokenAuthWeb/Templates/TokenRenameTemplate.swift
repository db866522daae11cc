#if Console
extension Templates {
    /// Renaming a token.
    static let tokenRename = """
        <h1>Rename “{{name}}”</h1>
        {{#problem}}<div class="problem" role="alert"><p>{{problem}}</p></div>{{/problem}}
        <form method="post" action="/tokens/{{id}}/rename" class="stack">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <div class="field"><label for="name">New name</label><input id="name" name="name" required maxlength="200" value="{{name}}" autofocus></div>
          <div class="buttons"><button type="submit" class="primary">Rename</button> <a href="/tokens/{{id}}">Cancel</a></div>
        </form>
        """
}
#endif
