#if Console
extension Templates {
    /// Every page: the navigation, who is signed in (with the sign-out form), a one-time notice, the body.
    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · tokenauth</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/assets/console.css">
        <script src="/assets/console.js" defer></script>
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <span class="brand">tokenauth</span>
          {{#hasNav}}
          <nav aria-label="Main">
            <ul>
              {{#nav}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/nav}}
            </ul>
          </nav>
          {{/hasNav}}
          {{#member}}
          <div class="who">
            <span>Signed in as <strong>{{member}}</strong></span>
            <form method="post" action="/signout">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="link">Sign out</button>
            </form>
          </div>
          {{/member}}
        </header>
        <main id="main" tabindex="-1">
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{{body}}}
        </main>
        </body>
        </html>
        """
}
#endif
