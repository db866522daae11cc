#if Console
extension Templates {
    /// The audit log with its filters (token, actor, event, time); refusals stand out, since a
    /// security incident starts by looking for them.
    static let audit = """
        <h1>Audit log</h1>
        <form class="filters" method="get" action="/audit" role="search" aria-label="Filter the audit log">
          <div><label for="a-token">Token id</label><input id="a-token" name="token" value="{{filters.token}}" maxlength="63" class="mono"></div>
          <div><label for="a-actor">Actor</label><input id="a-actor" name="actor" value="{{filters.actor}}" maxlength="63"></div>
          <div><label for="a-event">Event</label>
            <select id="a-event" name="event">{{#filters.events}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/filters.events}}</select></div>
          <div><label for="a-since">From (UTC)</label><input type="date" id="a-since" name="since" value="{{filters.since}}"></div>
          <div><label for="a-until">To (UTC)</label><input type="date" id="a-until" name="until" value="{{filters.until}}"></div>
          <div class="filter-buttons"><button type="submit">Filter</button>{{#filters.active}} <a href="/audit">Clear filters</a>{{/filters.active}}</div>
        </form>
        {{> audit_rows}}
        <nav class="pages" aria-label="Pages">{{#olderPage}}<a href="{{olderPage}}" rel="next">Older entries</a>{{/olderPage}}</nav>
        """

    /// Audit entries as a table (the audit page and a token's trail).
    static let auditRows = """
        {{#hasEntries}}
        <div class="table-wrap">
        <table class="audit">
          <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">Token</th><th scope="col">Member</th><th scope="col">Detail</th></tr></thead>
          <tbody>
          {{#entries}}
          <tr{{#refusal}} class="refusal"{{/refusal}}>
            <td class="nowrap">{{time}}</td>
            <td>{{#refusal}}<span class="badge bad">{{event}}</span>{{/refusal}}{{^refusal}}{{event}}{{/refusal}}</td>
            <td>{{actor}}</td>
            <td>{{#tokenID}}<a href="/tokens/{{tokenID}}"><code>{{tokenID}}</code></a>{{/tokenID}}</td>
            <td>{{member}}</td>
            <td class="detail">{{#detail}}<span>{{key}}={{value}}</span> {{/detail}}</td>
          </tr>
          {{/entries}}
          </tbody>
        </table>
        </div>
        {{/hasEntries}}
        {{^hasEntries}}<p class="muted">No audit entries{{#filtered}} match these filters{{/filtered}}.</p>{{/hasEntries}}
        """
}
#endif
