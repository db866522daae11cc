/// Oversight: usage statistics, the audit log, and the least-privilege report.
extension TokenStore {
    private static let auditKeys: Set<String> = ["token", "actor", "event", "since", "until", "limit"]
    static let defaultAuditLimit: Int64 = 1000
    private static let soonMS: Int64 = 7 * UTCDay.millisecondsPerDay
    private static let idleDaysWorthMentioning: Int64 = 30

    /// Records what the gateway did with a verified request, for the per-operation statistics.
    /// Counted in memory like a verification's use and written by the flush. A token this handle
    /// counted a use of is known to exist through the index (no query, no allocation); any other id
    /// is looked up in the database. Its digest, read there, then serves through the index as well
    /// while the token stays indexed; otherwise the answer serves until anything is committed,
    /// anywhere.
    public func recordUsage(tokenID: UnsafeRawBufferPointer, operation: UnsafeRawBufferPointer, httpStatus: Int) throws {
        try checkOwnedByThisProcess()
        // Only the UTC day of the count is kept: the coarse clock, which stamps a verification's use.
        let now = clock.coarseNowMS
        let key = TokenIDKey(tokenID)
        // The usual call: a token this thread counted since the last flush, whose id was valid then
        // (only checked ids are counted), with a valid operation and status. Anything else is
        // checked below, in the order its errors are reported.
        if let key, (100...599).contains(httpStatus), (try? Validate.operation(operation)) != nil,
           try usage.recordOperationIfProven(key, operation: operation, httpStatus: httpStatus, at: now,
                                             stillHolds: { try stillHolds($0) }) {
            return
        }
        guard Validate.isIdentifier(tokenID) else {
            guard let text = String(validating: tokenID, as: UTF8.self) else { throw TokenAuthError.invalid("token_id is not valid UTF-8") }
            _ = try Validate.identifier(text, "token id")
            throw TokenAuthError.invalid("token id is not an identifier")
        }
        try Validate.operation(operation)
        guard (100...599).contains(httpStatus) else { throw TokenAuthError.invalid("http_status must be 100..599") }
        if let key, let digest = usage.knownDigest(key), try index.holds(digest) {
            return usage.recordOperation(key, proof: .indexed(digest), operation: operation, httpStatus: httpStatus, at: now)
        }
        // Not counted through the index (or changed since): ask the database.
        let id = try Validate.identifier(String(decoding: tokenID, as: UTF8.self), "token id")
        let before = backend.commitSignal.fingerprint()
        guard let key, let stored = try backend.read({ try $0.tokenDigest(id: id) }) else {
            throw TokenAuthError(.notFound, "no token with id \"\(id)\"")
        }
        // An index that cannot answer now (its freshness unconfirmed) leaves the database's answer.
        if let digest = Digest(stored), (try? index.holds(digest)) == true {
            usage.learn(key, digest: digest)
            return usage.recordOperation(key, proof: .indexed(digest), operation: operation, httpStatus: httpStatus, at: now)
        }
        usage.recordOperation(key, proof: before.map(ExistenceProof.unchangedSince), operation: operation,
                              httpStatus: httpStatus, at: now)
    }

    /// Whether a token shown to exist still does.
    private func stillHolds(_ proof: ExistenceProof) throws -> Bool {
        switch proof {
        case .indexed(let digest): try index.holds(digest)
        case .unchangedSince(let fingerprint): backend.commitSignal.fingerprint() == fingerprint
        }
    }

    /// The rate limit stored with a token (nil: unlimited), for a gateway's RateLimit-Policy header:
    /// one read, without flushing usage or waiting for a writer.
    public func rateLimit(tokenID: String) throws -> RateLimit? {
        let id = try Validate.identifier(tokenID, "token id")
        guard let token = try backend.read({ try $0.token(id: id) }) else {
            throw TokenAuthError(.notFound, "no token with id \"\(id)\"")
        }
        return token.rateLimit
    }

    public func stats(actor: String?, tokenID: String, sinceMS: Int64) throws -> String {
        guard sinceMS >= 0 else { throw TokenAuthError.invalid("since_ms must not be negative") }
        return try withVisibleToken(actor, tokenID, "token_stats") { token, _, reader in
            let fromDay = sinceMS == 0 ? Int64.min : UTCDay.day(of: sinceMS)
            let days = try reader.dailyUsage(tokenID: token.id, fromDay: fromDay)
            func counts(_ dimension: UsageDimension) throws -> JSON {
                .object(try reader.usageCounts(tokenID: token.id, dimension: dimension, fromDay: fromDay).map { ($0.key, .int($0.count)) })
            }
            return JSON.object([
                ("token_id", .string(token.id)),
                ("since", .int(sinceMS)),
                ("use_count", .int(days.reduce(0) { $0 + $1.uses })),
                ("denied_count", .int(days.reduce(0) { $0 + $1.denied })),
                ("last_used_at", .time(token.lastUsedAt)),
                ("by_day", .object(days.filter { $0.uses > 0 }.map { (UTCDay.format($0.day), .int($0.uses)) })),
                ("by_operation", try counts(.operation)),
                ("by_status", try counts(.status)),
                ("scopes_used", .strings(try reader.usageCounts(tokenID: token.id, dimension: .scope, fromDay: fromDay).map(\.key))),
            ]).encoded()
        }
    }

    public func audit(actor actorID: String?, query: String?) throws -> String {
        let filters = try QueryFilters(query, allowed: Self.auditKeys)
        let filter = AuditFilter(
            tokenID: try filters["token"].map { try Validate.identifier($0, "query: token=") },
            actor: try filters["actor"].map { try Validate.identifier($0, "query: actor=") },
            event: filters["event"],
            since: try filters.integer("since", minimum: 0),
            until: try filters.integer("until", minimum: 0),
            limit: try filters.integer("limit", minimum: 1) ?? Self.defaultAuditLimit)
        if let actorID { _ = try Validate.memberID(actorID, "actor") }
        try flush()
        return try auditingRefusals("audit") {
            try backend.read { reader in
                let actor = try resolveActor(actorID, in: reader)
                guard AccessPolicy(actor: actor, catalog: try catalog(in: reader)).isAdmin else {
                    throw Self.permissionDenied("reading the audit log needs admin", actor: actor, tokenID: nil)
                }
                return JSON.array(try reader.audit(filter).map { entry in
                    .object([("at", .int(entry.at)), ("event", .string(entry.event)), ("actor", .optional(entry.actor)),
                             ("token_id", .optional(entry.tokenID)), ("member_id", .optional(entry.memberID)),
                             ("detail", .encodedText(entry.detail))])
                }).encoded()
            }
        }
    }

    /// The least-privilege and hygiene report over the tokens the actor can see that are not revoked.
    public func report(actor actorID: String?, sinceMS: Int64) throws -> String {
        guard sinceMS >= 0 else { throw TokenAuthError.invalid("since_ms must not be negative") }
        if let actorID { _ = try Validate.memberID(actorID, "actor") }
        try flush()
        let now = clock.nowMS
        let fromDay = sinceMS == 0 ? Int64.min : UTCDay.day(of: sinceMS)
        return try auditingRefusals("report") {
            try backend.read { reader in
                let view = try TokenView(reader: reader, catalog: catalog(in: reader), actor: resolveActor(actorID, in: reader), now: now)
                let entries = try reader.tokens().filter { view.policy.canSee($0) && view.status($0) != .revoked }.map { token in
                    let used = Set(try reader.usageCounts(tokenID: token.id, dimension: .scope, fromDay: fromDay).map(\.key))
                    return Self.reportEntry(token, used: used, view: view, sinceMS: sinceMS)
                }
                return JSON.object([("generated_at", .int(now)), ("since", .int(sinceMS)), ("tokens", .array(entries))]).encoded()
            }
        }
    }

    private static func reportEntry(_ token: TokenRecord, used: Set<String>, view: TokenView, sinceMS: Int64) -> JSON {
        let now = view.now
        let unused = token.scopes.filter { !used.contains($0) }
        let idleDays: Int64? = token.lastUsedAt == 0 ? nil : max(0, now.subtractingSaturated(token.lastUsedAt)) / UTCDay.millisecondsPerDay
        let left = token.expiresAt.subtractingSaturated(now)
        let expiresSoon = token.expiresAt != 0 && left > 0 && left <= soonMS
        let period = sinceMS == 0 ? "ever" : "since \(UTCDay.format(UTCDay.day(of: sinceMS)))"
        var advice: [String] = []
        if token.lastUsedAt == 0 {
            advice.append("This token has never been used: if no integration needs it, revoke it.")
        } else if !unused.isEmpty {
            let keep = token.scopes.filter { used.contains($0) } + used.subtracting(token.scopes).sorted()
            let narrower = keep.isEmpty ? "only the scopes its requests need" : "only \(keep.joined(separator: " "))"
            advice.append("Scopes \(unused.joined(separator: ", ")) were not required by any request \(period): create a narrower token with \(narrower), move the integration to it, then revoke this one.")
        }
        if let idleDays, idleDays >= idleDaysWorthMentioning {
            advice.append("Unused for \(idleDays) days: if the integration is retired, revoke this token.")
        }
        if token.expiresAt == 0 {
            advice.append("It never expires: prefer tokens with an expiry date, and rotate them regularly.")
        }
        if expiresSoon {
            advice.append("It expires within \(max(1, left / UTCDay.millisecondsPerDay)) day(s): rotate it before then so the integration keeps working.")
        }
        switch view.status(token) {
        case .expired: advice.append("It has expired: delete it, or rotate it if the integration still needs access.")
        case .inactive: advice.append("It is deactivated: delete it if it will not be activated again.")
        case .ownerInactive: advice.append("Its owner is deactivated: move the integration to a service token if it must keep working.")
        default: break
        }
        return .object([
            ("token_id", .string(token.id)),
            ("name", .string(token.name)),
            ("kind", .string(token.kind.word)),
            ("owner", .optional(token.owner)),
            ("status", .string(view.statusWord(token))),
            ("scopes", .strings(token.scopes)),
            ("unused_scopes", .strings(unused)),
            ("never_used", .bool(token.lastUsedAt == 0)),
            ("last_used_at", .time(token.lastUsedAt)),
            ("idle_days", idleDays.map { .int($0) } ?? .null),
            ("never_expires", .bool(token.expiresAt == 0)),
            ("expires_at", .time(token.expiresAt)),
            ("expires_soon", .bool(expiresSoon)),
            ("recommendations", .strings(advice)),
        ])
    }
}
