/// What a console over a large store needs: the token list a page at a time, what the actor may do
/// with each token, what it may create and grant, and the members it may see. IAM decides here,
/// exactly as in the other management calls.
extension TokenStore {
    private static let pageKeys = TokenFilter.keys.union(["after", "limit", "usage_days"])
    /// The most tokens one page holds.
    public static let pageLimit: Int64 = 1000
    static let defaultPageSize: Int64 = 50
    /// The most recent days whose use counts a page can carry per token.
    static let maximumUsageDays: Int64 = 90
    /// The most tokens one page call examines: a filter that matches rarely returns a shorter page
    /// (and a cursor to go on from) instead of reading a million tokens in one call.
    static let pageScanLimit = 20_000
    private static let pageBatch = 256

    /// One page of the tokens the actor can see, newest first (descending id: ids are time-ordered).
    /// `query`: the filters of `listTokens` plus `after=ID` (the previous page's `next`), `limit=N`
    /// (1...1000, default 50) and `usage_days=N` (0...90: each token gets `recent_uses`, its uses on
    /// each of the last N UTC days, oldest first). `nameContains` keeps the tokens whose name
    /// contains it, ignoring case. Each token also carries `actions`: what the actor may do with it.
    public func tokenPage(actor actorID: String?, query: String?, nameContains: String?) throws -> String {
        let filters = try QueryFilters(query, allowed: Self.pageKeys)
        let filter = try TokenFilter(filters, nameContains: nameContains)
        let after = try filters["after"].map { try Validate.identifier($0, "query: after=") }
        let limit = Int(try filters.integer("limit", minimum: 1) ?? Self.defaultPageSize)
        guard limit <= Self.pageLimit else { throw TokenAuthError.invalid("query: limit= must be at most \(Self.pageLimit)") }
        let usageDays = try filters.integer("usage_days", minimum: 0) ?? 0
        guard usageDays <= Self.maximumUsageDays else {
            throw TokenAuthError.invalid("query: usage_days= must be at most \(Self.maximumUsageDays)")
        }
        if let actorID { _ = try Validate.memberID(actorID, "actor") }
        try flush()
        let now = clock.nowMS
        return try auditingRefusals("token_page") {
            try backend.read { reader in
                let view = try TokenView(reader: reader, catalog: catalog(in: reader), actor: resolveActor(actorID, in: reader), now: now)
                let (selected, next, scanned) = try Self.scan(reader, view: view, filter: filter, after: after, limit: limit)
                let firstDay = UTCDay.day(of: now) - usageDays + 1
                let tokens: [JSON] = try selected.map { token in
                    var fields: [(String, JSON)] = [("actions", .strings(view.policy.actions(on: token, now: now).map(\.rawValue)))]
                    if usageDays > 0 {
                        let days = Dictionary(try reader.dailyUsage(tokenID: token.id, fromDay: firstDay).map { ($0.day, $0.uses) },
                                              uniquingKeysWith: +)
                        fields.append(("recent_uses", .array((firstDay...UTCDay.day(of: now)).map { .int(days[$0] ?? 0) })))
                    }
                    return .encodedText(JSON.appending(fields, toEncodedObject: view.json(token).encoded()))
                }
                return JSON.object([
                    ("tokens", .array(tokens)), ("next", .optional(next)), ("scanned", .int(Int64(scanned))),
                    ("as_of", .int(now)), ("usage_flush_ms", .int(configuration.flushIntervalMS)),
                ]).encoded()
            }
        }
    }

    /// Walks the id index down from `after`, keeping visible tokens that match, until the page is
    /// full, the tokens run out, or `pageScanLimit` tokens were examined. `next` is where the
    /// following page starts (nil once every token was examined).
    private static func scan(_ reader: any StorageReader, view: TokenView, filter: TokenFilter, after: String?,
                             limit: Int) throws -> (tokens: [TokenRecord], next: String?, scanned: Int) {
        // What can be said in SQL is: kind and owner filters, and an actor that sees only its own tokens.
        let ownOnly = view.policy.seesOnlyOwnPersonalTokens
        if let ownOnly, filter.kind == .service || (filter.owner.map { $0 != ownOnly } ?? false) { return ([], nil, 0) }
        let kind = ownOnly != nil ? .personal : filter.kind
        let owner = ownOnly ?? filter.owner
        var selected: [TokenRecord] = []
        var cursor = after
        var scanned = 0
        while scanned < pageScanLimit {
            let wanted = min(pageBatch, pageScanLimit - scanned)
            let batch = try reader.tokens(before: cursor, kind: kind, owner: owner, limit: wanted)
            for token in batch {
                scanned += 1
                cursor = token.id
                guard view.policy.canSee(token), filter.matches(token, in: view) else { continue }
                selected.append(token)
                if selected.count == limit { return (selected, cursor, scanned) }
            }
            if batch.count < wanted { return (selected, nil, scanned) }
        }
        return (selected, cursor, scanned)
    }

    /// What the actor may do with one token it can see: `{"token_id", "actions": [...]}`, the
    /// actions of `tokenPage`.
    public func tokenActions(actor actorID: String?, tokenID: String) throws -> String {
        try withVisibleToken(actorID, tokenID, "token_actions") { token, view, _ in
            JSON.object([("token_id", .string(token.id)),
                         ("actions", .strings(view.policy.actions(on: token, now: view.now).map(\.rawValue)))]).encoded()
        }
    }

    /// What the actor may do in general: `{"actor", "create": kinds it may create, "grantable_scopes":
    /// catalog entries it may grant, "audit": whether it may read the audit log, "all_members":
    /// whether it sees every member}`. An actor that is not an active member is refused.
    public func actorRights(actor actorID: String?) throws -> String {
        if let actorID { _ = try Validate.memberID(actorID, "actor") }
        return try auditingRefusals("actor_rights") {
            try backend.read { reader in
                let catalog = try catalog(in: reader)
                let policy = AccessPolicy(actor: try resolveActor(actorID, in: reader), catalog: catalog)
                let kinds = [TokenKind.personal, .service].filter { kind in
                    policy.creationRefusal(kind: kind, grants: []) == nil && !(kind == .personal && actorID == nil)
                }
                return JSON.object([
                    ("actor", .string(policy.actor.auditName)),
                    ("create", .strings(kinds.map(\.word))),
                    ("grantable_scopes", .array(policy.grantableScopes.map { grant in
                        Self.scopeJSON(grant.scope, catalog, as: grant.text)
                    })),
                    ("audit", .bool(policy.isAdmin)),
                    ("all_members", .bool(policy.isAdmin)),
                ]).encoded()
            }
        }
    }

    /// The members the actor may see, as `listMembers` shows them: every member for an admin (and the
    /// host), otherwise the actor alone.
    public func listMembers(actor actorID: String?) throws -> String {
        if let actorID { _ = try Validate.memberID(actorID, "actor") }
        return try auditingRefusals("member_list_for") {
            try backend.read { reader in
                let policy = AccessPolicy(actor: try resolveActor(actorID, in: reader), catalog: try catalog(in: reader))
                let members = try reader.members().filter { policy.isAdmin || $0.id == policy.actor.auditName }
                return JSON.array(members.map(Self.memberJSON)).encoded()
            }
        }
    }
}

extension AccessPolicy {
    /// The member id of an actor that can see nothing but its own personal tokens (no
    /// ListAccessTokens, no ManageServiceAccessTokens), so a listing may ask storage for those alone.
    var seesOnlyOwnPersonalTokens: String? {
        guard case .member(let member) = actor, !member.holds(.listAccessTokens, in: catalog),
              !member.holds(.manageServiceAccessTokens, in: catalog) else { return nil }
        return member.id
    }

    /// The grants the actor may give a new token at most (the host: every catalog scope): the
    /// scopes it holds on every resource, then those it holds on a pattern only, so qualified.
    var grantableScopes: [Grant] {
        guard case .member(let member) = actor else { return catalog.names.map { Grant(scope: $0, pattern: nil) } }
        let cover = member.cover(in: catalog)
        let everywhere = catalog.names.filter { catalog.covers(cover.everywhere, $0) }
        let qualified = cover.byPattern.flatMap { pattern, scopes in
            catalog.names.filter { catalog.covers(scopes, $0) && !everywhere.contains($0) }.map { Grant(scope: $0, pattern: pattern) }
        }
        return everywhere.map { Grant(scope: $0, pattern: nil) } + qualified.sorted()
    }
}
