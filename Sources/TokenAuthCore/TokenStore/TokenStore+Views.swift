/// Reading tokens: list and get, filtered by what the actor may see.
extension TokenStore {
    public func listTokens(actor actorID: String?, query: String?) throws -> String {
        let filter = try TokenFilter(QueryFilters(query, allowed: TokenFilter.keys))
        if let actorID { _ = try Validate.memberID(actorID, "actor") }
        try flush()
        let now = clock.nowMS
        return try auditingRefusals("token_list") {
            try backend.read { reader in
                let view = try TokenView(reader: reader, catalog: catalog(in: reader), actor: resolveActor(actorID, in: reader), now: now)
                let selected = try reader.tokens().filter { view.policy.canSee($0) && filter.matches($0, in: view) }
                return JSON.array(selected.map(view.json)).encoded()
            }
        }
    }

    public func getToken(actor actorID: String?, tokenID: String) throws -> String {
        try withVisibleToken(actorID, tokenID, "token_get") { token, view, _ in view.json(token).encoded() }
    }

    /// Runs `body` with a token the actor may see, in one read transaction (after flushing this
    /// handle's usage, so counts are current); an invisible token is audited and reported not found.
    func withVisibleToken<T>(_ actorID: String?, _ tokenID: String, _ action: String,
                             _ body: (TokenRecord, TokenView, any StorageReader) throws -> T) throws -> T {
        let id = try Validate.identifier(tokenID, "token id")
        if let actorID { _ = try Validate.memberID(actorID, "actor") }
        try flush()
        let now = clock.nowMS
        return try auditingRefusals(action) {
            try backend.read { reader in
                let actor = try resolveActor(actorID, in: reader, tokenID: id)
                let view = try TokenView(reader: reader, catalog: catalog(in: reader), actor: actor, now: now)
                guard let token = try reader.token(id: id) else { throw Self.noSuchToken(id) }
                guard view.policy.canSee(token) else { throw Self.noSuchToken(id, hiddenFrom: actor) }
                return try body(token, view, reader)
            }
        }
    }
}

/// Renders tokens for one actor at one moment: status, scopes in force, JSON.
struct TokenView {
    let policy: AccessPolicy
    let members: [String: Member]
    let now: Int64

    init(reader: any StorageReader, catalog: ScopeCatalog, actor: Actor, now: Int64) throws {
        policy = AccessPolicy(actor: actor, catalog: catalog)
        members = Dictionary(try reader.members().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.now = now
    }

    func owner(of token: TokenRecord) -> Member? {
        guard token.kind == .personal, !token.ownerRemoved, let id = token.owner else { return nil }
        return members[id]
    }

    func status(_ token: TokenRecord) -> Status { TokenState.status(of: token, owner: owner(of: token), now: now) }

    func statusWord(_ token: TokenRecord) -> String { status(token).tokenStatusWord ?? "active" }

    func effectiveScopes(_ token: TokenRecord) -> [String] {
        guard status(token) == .ok else { return [] }
        return ScopesInForce(catalog: policy.catalog, tokenScopes: token.expandedScopes, kind: token.kind,
                             owner: owner(of: token)).all
    }

    func json(_ token: TokenRecord) -> JSON {
        .object([
            ("id", .string(token.id)),
            ("name", .string(token.name)),
            ("kind", .string(token.kind.word)),
            ("owner", .optional(token.owner)),
            ("created_by", .string(token.createdBy)),
            ("scopes", .strings(token.scopes)),
            ("effective_scopes", .strings(effectiveScopes(token))),
            ("status", .string(statusWord(token))),
            ("active", .bool(token.active)),
            ("created_at", .int(token.createdAt)),
            ("expires_at", .time(token.expiresAt)),
            ("revoked_at", token.revokeAt.map { .int($0) } ?? .null),
            ("last_used_at", .time(token.lastUsedAt)),
            ("use_count", .int(token.useCount)),
            ("denied_count", .int(token.deniedCount)),
            ("hint", .string(token.hint)),
            ("rate_limit", token.rateLimit.map { .object([("limit", .int(Int64($0.limit))), ("window_ms", .int(Int64($0.windowMS)))]) } ?? .null),
            ("rotated_from", .optional(token.rotatedFrom)),
            ("rotated_to", .optional(token.rotatedTo)),
        ])
    }
}
