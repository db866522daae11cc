#if Console
import HTTPTypes
import Hummingbird
import TokenAuthCore

/// GET /report: the least-privilege and hygiene report over the tokens the member can see — unused
/// scopes, never used, idle, never expiring, expiring soon — with the core's recommendations.
extension ConsolePages {
    private static let periods = [("7", "the last 7 days"), ("30", "the last 30 days"), ("90", "the last 90 days"),
                                  ("365", "the last year"), ("all", "all time")]

    func report(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let rights = try rights(context)
        let period = query(request)["since"] ?? "90"
        let now = TimeText.nowMS()
        let since: Int64
        if period == "all" {
            since = 0
        } else {
            guard let days = Int64(period), Self.periods.contains(where: { $0.0 == period }) else {
                throw TokenAuthError(.invalidArgument, "since is 7, 30, 90, 365 or all")
            }
            since = now - days * UTCDay.millisecondsPerDay
        }
        let report = try CoreJSON.decode(ReportJSON.self, store.report(actor: context.member, sinceMS: since))
        func section(_ anchor: String, _ title: String, _ explanation: String, _ keep: (ReportJSON.Entry) -> Bool,
                     detail: (ReportJSON.Entry) -> String?) -> ReportModel.Section {
            let entries = report.tokens.filter(keep).map { entry in
                ReportModel.Entry(id: entry.tokenId, name: entry.name, kind: entry.kind, owner: entry.owner ?? "no owner",
                                  status: entry.status, detail: detail(entry), recommendations: entry.recommendations)
            }
            return .init(anchor: anchor, title: title, explanation: explanation, count: entries.count, hasEntries: !entries.isEmpty, entries: entries)
        }
        let model = ReportModel(
            periods: Self.choices(Self.periods, period),
            summary: "\(report.tokens.count) \(report.tokens.count == 1 ? "token" : "tokens") not revoked, as of \(TimeText.timestamp(report.generatedAt)).",
            sections: [
                section("unused", "Unused scopes", "Granted, but not required by any request in the period: narrow the token.",
                        { !$0.neverUsed && !$0.unusedScopes.isEmpty }, detail: { "Unused: " + $0.unusedScopes.joined(separator: " ") }),
                section("never", "Never used", "Created, never presented: revoke it if no integration needs it.",
                        { $0.neverUsed }, detail: { _ in nil }),
                section("idle", "Idle for 30 days or more", "Last used a month or more ago.",
                        { ($0.idleDays ?? 0) >= 30 }, detail: { entry in entry.idleDays.map { "Idle for \($0) days" } }),
                section("forever", "Never expiring", "Prefer tokens that expire, and rotate them.",
                        { $0.neverExpires }, detail: { _ in nil }),
                section("soon", "Expiring within 7 days", "Rotate these before they expire, so integrations keep working.",
                        { $0.expiresSoon }, detail: { entry in entry.expiresAt.map { "Expires \(TimeText.relative($0, now: now))" } }),
            ])
        return pages.page("report", model, frame: frame(context, rights, title: "Token report", current: "/report"))
    }
}

private struct ReportModel {
    struct Entry {
        let id: String
        let name: String
        let kind: String
        let owner: String
        let status: String
        let detail: String?
        let recommendations: [String]
    }

    struct Section {
        let anchor: String
        let title: String
        let explanation: String
        let count: Int
        let hasEntries: Bool
        let entries: [Entry]
    }

    let periods: [Choice]
    let summary: String
    let sections: [Section]
}
#endif
