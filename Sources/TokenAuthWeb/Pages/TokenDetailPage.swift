#if Console
import HTTPTypes
import Hummingbird
import TokenAuthCore

/// GET /tokens/{id}: a token's facts and actions, its usage by day, operation and status, the scopes
/// it used against those it was granted (its least-privilege report), and its audit trail.
extension ConsolePages {
    static let chartDays = 30

    func tokenDetail(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let (rights, token) = try visibleToken(context)
        let now = TimeText.nowMS()
        let since = (UTCDay.day(of: now) - Int64(Self.chartDays) + 1) * UTCDay.millisecondsPerDay
        let actions = try CoreJSON.decode(ActionsJSON.self, store.tokenActions(actor: context.member, tokenID: token.id)).actions
        let stats = try CoreJSON.decode(StatsJSON.self, store.stats(actor: context.member, tokenID: token.id, sinceMS: since))
        let trail = rights.audit
            ? try CoreJSON.decode([AuditEntryJSON].self, store.audit(actor: context.member, query: "token=\(token.id) limit=50")) : []
        let used = Set(stats.scopesUsed)
        let unused = token.scopes.filter { !used.contains($0) }
        let chart = UsageChart(byDay: stats.byDay, days: Self.chartDays, today: UTCDay.day(of: now))
        let model = DetailModel(
            token: TokenRow(token, actions: actions, now: now, csrf: context.session?.csrfToken ?? ""),
            days: Self.chartDays,
            width: chart.width, height: chart.height, left: chart.left, right: chart.right, baseline: chart.baseline,
            labelX: chart.left - 4, topLabelY: chart.top + 4, dateY: chart.baseline + 16, maximum: chart.maximum,
            bars: chart.bars, firstDay: chart.firstDay, lastDay: chart.lastDay, summary: chart.summary, dayRows: chart.table,
            hasOperations: !stats.byOperation.isEmpty, operations: Self.counts(stats.byOperation),
            hasStatuses: !stats.byStatus.isEmpty, statuses: Self.counts(stats.byStatus),
            scopeUse: (token.scopes + used.subtracting(token.scopes).sorted()).map { scope in
                DetailModel.ScopeUse(scope: scope, granted: token.scopes.contains(scope) ? "yes" : "no (implied)",
                                     used: used.contains(scope) ? "yes" : "no")
            },
            advice: unused.isEmpty || token.status != "active" ? nil :
                "Not required by any request in \(Self.chartDays) days: \(unused.joined(separator: ", ")). Least privilege: create a narrower token without them, move the integration to it, then revoke this one.",
            mayAudit: rights.audit, hasEntries: !trail.isEmpty, filtered: false, entries: trail.map(AuditRow.init))
        return pages.page("token_detail", model, frame: frame(context, rights, title: token.name, current: "/tokens"))
    }

    static func counts(_ map: [String: Int64]) -> [DetailModel.Count] {
        map.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { DetailModel.Count(key: $0.key, count: $0.value) }
    }
}

struct DetailModel {
    struct Count {
        let key: String
        let count: Int64
    }

    struct ScopeUse {
        let scope: String
        let granted: String
        let used: String
    }

    let token: TokenRow
    let days: Int
    // The usage chart (the usage_chart partial reads these).
    let width: Int
    let height: Int
    let left: Int
    let right: Int
    let baseline: Int
    let labelX: Int
    let topLabelY: Int
    let dateY: Int
    let maximum: Int64
    let bars: [UsageChart.Bar]
    let firstDay: String
    let lastDay: String
    let summary: String
    let dayRows: [UsageChart.Day]
    let hasOperations: Bool
    let operations: [Count]
    let hasStatuses: Bool
    let statuses: [Count]
    let scopeUse: [ScopeUse]
    let advice: String?
    let mayAudit: Bool
    let hasEntries: Bool
    let filtered: Bool
    let entries: [AuditRow]

    var csrf: String { token.csrf }
}
#endif
