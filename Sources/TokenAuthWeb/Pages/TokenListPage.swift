#if Console
import HTTPTypes
import Hummingbird
import TokenAuthCore

/// GET /tokens: one page of the tokens the member can see, filtered by the URL's name, kind, owner
/// and status, with each token's recent usage and the actions the member may take.
extension ConsolePages {
    static let pageSize = 50
    static let sparkDays = 14

    func tokenList(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let rights = try rights(context)
        let query = query(request)
        let name = query.trimmed("name")
        let kind = try QueryWord.check(query.trimmed("kind"), "kind")
        let owner = try QueryWord.check(query.trimmed("owner"), "owner")
        let status = try QueryWord.check(query.trimmed("status"), "status")
        let after = try QueryWord.check(query.trimmed("after"), "after")
        var words = ["limit=\(Self.pageSize)", "usage_days=\(Self.sparkDays)"]
        for (key, value) in [("kind", kind), ("owner", owner), ("status", status), ("after", after)] {
            if let value { words.append("\(key)=\(value)") }
        }
        let page = try CoreJSON.decode(TokenPageJSON.self, store.tokenPage(actor: context.member, query: words.joined(separator: " "),
                                                                             nameContains: name))
        let csrf = context.session?.csrfToken ?? ""
        let rows = page.tokens.map { TokenRow($0, actions: $0.actions ?? [], now: page.asOf, csrf: csrf) }
        let filters: [(String, String?)] = [("name", name), ("kind", kind), ("owner", owner), ("status", status)]
        let active = filters.contains { $0.1 != nil }
        let model = TokenListModel(
            mayCreate: !rights.create.isEmpty, csrf: csrf,
            filters: .init(name: name ?? "", owner: owner ?? "", active: active,
                           kinds: Self.choices([("", "Any"), ("personal", "Personal"), ("service", "Service")], kind),
                           statuses: Self.choices([("", "Any"), ("active", "Active"), ("inactive", "Inactive"), ("expired", "Expired"),
                                                   ("revoked", "Revoked"), ("owner_inactive", "Owner inactive")], status)),
            rows: rows, hasRows: !rows.isEmpty,
            emptyMessage: page.next == nil ? "No tokens match these filters." :
                "No matches among the \(page.scanned) tokens searched so far. More may match further on.",
            asOf: TimeText.timestamp(page.asOf), flushInterval: TimeText.span(page.usageFlushMs),
            firstPage: after == nil ? nil : "/tokens" + LinkQuery.make(filters),
            nextPage: page.next.map { "/tokens" + LinkQuery.make(filters + [("after", $0)]) })
        return pages.page("tokens", model, frame: frame(context, rights, title: "Access tokens", current: "/tokens"))
    }

    static func choices(_ options: [(String, String)], _ selected: String?) -> [Choice] {
        options.map { Choice(value: $0.0, label: $0.1, selected: $0.0 == (selected ?? "")) }
    }
}

private struct TokenListModel {
    struct Filters {
        let name: String
        let owner: String
        let active: Bool
        let kinds: [Choice]
        let statuses: [Choice]
    }

    let mayCreate: Bool
    let csrf: String
    let filters: Filters
    let rows: [TokenRow]
    let hasRows: Bool
    let emptyMessage: String
    let asOf: String
    let flushInterval: String
    let firstPage: String?
    let nextPage: String?
}
#endif
