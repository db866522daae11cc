#if Console
import HTTPTypes
import Hummingbird
import TokenAuthCore

/// GET /audit: the audit log, newest first, filtered by token, actor, event and time (for those who
/// may read it: the core refuses the others). Refusals — iam.denied, verify.denied — stand out.
extension ConsolePages {
    static let auditPageSize = 100
    private static let events = [
        "token.created", "token.renamed", "token.activated", "token.deactivated", "token.revoked", "token.deleted",
        "token.rotated", "iam.denied", "verify.denied", "member.put", "member.activated", "member.deactivated",
        "member.removed", "scope.defined",
    ]

    func auditLog(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let rights = try rights(context)
        let query = query(request)
        let token = try QueryWord.check(query.trimmed("token"), "token")
        let actor = try QueryWord.check(query.trimmed("actor"), "actor")
        let event = try QueryWord.check(query.trimmed("event"), "event")
        let sinceText = query.trimmed("since"), untilText = query.trimmed("until")
        let since = try sinceText.map { try Self.date($0, "From") }
        // "To" is a whole day: everything up to its last millisecond; "before" (a link to older
        // entries) is exact.
        var until = try untilText.map { try Self.date($0, "To") + UTCDay.millisecondsPerDay - 1 }
        if let before = query.trimmed("before") {
            guard let value = Int64(before), value > 0 else { throw TokenAuthError(.invalidArgument, "before is a time in ms") }
            until = min(until ?? .max, value - 1)
        }
        var words = ["limit=\(Self.auditPageSize)"]
        for (key, value) in [("token", token), ("actor", actor), ("event", event), ("since", since.map(String.init)),
                             ("until", until.map(String.init))] {
            if let value { words.append("\(key)=\(value)") }
        }
        let entries = try CoreJSON.decode([AuditEntryJSON].self, store.audit(actor: context.member, query: words.joined(separator: " ")))
        let filters: [(String, String?)] = [("token", token), ("actor", actor), ("event", event), ("since", sinceText), ("until", untilText)]
        let model = AuditModel(
            filters: .init(token: token ?? "", actor: actor ?? "", since: sinceText ?? "", until: untilText ?? "",
                           active: filters.contains { $0.1 != nil },
                           events: Self.choices([("", "Any")] + Self.events.map { ($0, $0) }, event)),
            hasEntries: !entries.isEmpty, filtered: filters.contains { $0.1 != nil }, entries: entries.map(AuditRow.init),
            olderPage: entries.count < Self.auditPageSize ? nil
                : entries.last.map { "/audit" + LinkQuery.make(filters + [("before", String($0.at))]) })
        return pages.page("audit", model, frame: frame(context, rights, title: "Audit log", current: "/audit"))
    }

    private static func date(_ text: String, _ what: String) throws -> Int64 {
        guard let ms = TimeText.parse(text) else { throw TokenAuthError(.invalidArgument, "\(what): a date is YYYY-MM-DD") }
        return ms
    }
}

/// One audit entry as the tables show it.
struct AuditRow: Sendable {
    struct Field: Sendable {
        let key: String
        let value: String
    }

    let time: String
    let event: String
    let refusal: Bool
    let actor: String
    let tokenID: String?
    let member: String
    let detail: [Field]

    init(_ entry: AuditEntryJSON) {
        time = TimeText.timestamp(entry.at)
        event = entry.event
        refusal = entry.event.hasSuffix(".denied")
        actor = entry.actor ?? "-"
        tokenID = entry.tokenId
        member = entry.memberId ?? ""
        detail = entry.detail.keys.sorted().compactMap { key in
            guard let value = entry.detail[key]?.text else { return nil }
            let shown = key.hasSuffix("_at") || key == "first_at" || key == "last_at" ? (Int64(value).map(TimeText.timestamp) ?? value) : value
            return Field(key: key, value: shown)
        }
    }
}

private struct AuditModel {
    struct Filters {
        let token: String
        let actor: String
        let since: String
        let until: String
        let active: Bool
        let events: [Choice]
    }

    let filters: Filters
    let hasEntries: Bool
    let filtered: Bool
    let entries: [AuditRow]
    let olderPage: String?
}
#endif
