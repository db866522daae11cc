#if Console
extension Templates {
    /// Signing in: with a one-time code (a button, so that a link preview cannot spend the code), or
    /// how to get in.
    static let signIn = """
        <h1>Sign in</h1>
        {{#code}}
        <p>This one-time link signs you in to the token console. It works once.</p>
        <form method="post" action="/signin">
          <input type="hidden" name="code" value="{{code}}">
          <button type="submit" class="primary">Sign in</button>
        </form>
        {{/code}}
        {{^code}}
        <p>You are not signed in, or your session has ended.</p>
        <ul>
          <li>Started with <code>tokenauth serve --as MEMBER</code>: open the one-time link it printed (each link works once; the next one is printed when it is used).</li>
          <li>Behind your organisation's sign-on: open the console through that proxy.</li>
        </ul>
        {{/code}}
        """
}
#endif
