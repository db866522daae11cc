#if Console
extension Templates {
    /// Uses per UTC day as an SVG bar chart drawn on the server (no script), with its numbers in a
    /// table for screen readers and for copying.
    static let usageChart = """
        <figure class="chart">
          <svg width="{{width}}" height="{{height}}" viewBox="0 0 {{width}} {{height}}" role="img" aria-labelledby="chart-title">
            <title id="chart-title">{{summary}}</title>
            <line class="axis" x1="{{left}}" y1="{{baseline}}" x2="{{right}}" y2="{{baseline}}"></line>
            <text class="tick" x="{{labelX}}" y="{{topLabelY}}" text-anchor="end">{{maximum}}</text>
            <text class="tick" x="{{labelX}}" y="{{baseline}}" text-anchor="end">0</text>
            {{#bars}}<rect class="bar" x="{{x}}" y="{{y}}" width="{{width}}" height="{{height}}"><title>{{label}}</title></rect>{{/bars}}
            <text class="tick" x="{{left}}" y="{{dateY}}">{{firstDay}}</text>
            <text class="tick" x="{{right}}" y="{{dateY}}" text-anchor="end">{{lastDay}}</text>
          </svg>
          <figcaption>{{summary}}</figcaption>
        </figure>
        <details>
          <summary>Usage by day as a table</summary>
          <table class="compact"><thead><tr><th scope="col">Day (UTC)</th><th scope="col">Uses</th></tr></thead>
          <tbody>{{#dayRows}}<tr><td>{{day}}</td><td class="num">{{uses}}</td></tr>{{/dayRows}}</tbody></table>
        </details>
        """
}
#endif
