#if Console
extension Templates {
    /// The least-privilege and hygiene report, one section per finding.
    static let report = """
        <h1>Token report</h1>
        <form class="filters" method="get" action="/report" aria-label="Report period">
          <div><label for="r-since">Usage counted over</label>
            <select id="r-since" name="since">{{#periods}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/periods}}</select></div>
          <div class="filter-buttons"><button type="submit">Show</button></div>
        </form>
        <p>{{summary}}</p>
        {{#sections}}
        <section aria-labelledby="{{anchor}}">
          <h2 id="{{anchor}}">{{title}} <span class="count">({{count}})</span></h2>
          <p class="help">{{explanation}}</p>
          {{#hasEntries}}
          <ul class="findings">
            {{#entries}}
            <li><a href="/tokens/{{id}}">{{name}}</a> <span class="muted">{{kind}} · {{owner}} · {{status}}</span>
              {{#detail}}<div>{{detail}}</div>{{/detail}}
              <ul>{{#recommendations}}<li>{{.}}</li>{{/recommendations}}</ul>
            </li>
            {{/entries}}
          </ul>
          {{/hasEntries}}
          {{^hasEntries}}<p class="muted">None.</p>{{/hasEntries}}
        </section>
        {{/sections}}
        """
}
#endif
