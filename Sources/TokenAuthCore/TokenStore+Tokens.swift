/// What a caller asks for when creating a token (`ta_token_spec`).
public struct TokenSpec: Sendable {
    public var name: String
    public var kind: TokenKind
    public var scopes: String
    public var expiresAtMS: Int64
    public var rateLimit: UInt32
    public var rateWindowMS: UInt32

    public init(name: String, kind: TokenKind, scopes: String, expiresAtMS: Int64 = 0, rateLimit: UInt32 = 0, rateWindowMS: UInt32 = 0) {
        self.name = name
        self.kind = kind
        self.scopes = scopes
        self.expiresAtMS = expiresAtMS
        self.rateLimit = rateLimit
        self.rateWindowMS = rateWindowMS
    }
}

/// A newly issued token: the secret (shown once; the caller wipes it after use) and its public id.
public struct IssuedToken: Sendable {
    public var secret: [UInt8]
    public let id: String
}

/// Creating and managing tokens. Each call is one transaction and one audit entry; IAM refusals are
/// audited as `iam.denied` instead.
extension TokenStore {
    public func createToken(actor actorID: String?, spec: TokenSpec) throws -> IssuedToken {
        let name = try Validate.tokenName(spec.name)
        let scopes = try Validate.scopeList(spec.scopes, "scopes")
        guard !scopes.isEmpty else { throw TokenAuthError.invalid("scopes: at least one scope is required") }
        let now = clock.nowMS
        guard spec.expiresAtMS == 0 || spec.expiresAtMS > now else {
            throw TokenAuthError.invalid("expires_at_ms is not in the future")
        }
        if actorID == nil, spec.kind == .personal {
            throw TokenAuthError.invalid("the host (actor NULL) cannot own a personal token; create it as the member")
        }
        if let actorID { _ = try Validate.memberID(actorID, "actor") }
        let limit = spec.rateLimit == 0 ? configuration.defaultRateLimit : spec.rateLimit
        let window = spec.rateWindowMS == 0 ? configuration.rateWindowMS : spec.rateWindowMS
        return try auditingRefusals("token_create") {
            try backend.write(.normal) { writer in
                let catalog = try catalog(in: writer)
                let actor = try resolveActor(actorID, in: writer)
                if let unknown = scopes.first(where: { !catalog.contains($0) }) {
                    throw TokenAuthError(.unknownScope, "scope \"\(unknown)\" is not in the catalog")
                }
                if let reason = AccessPolicy(actor: actor, catalog: catalog).creationRefusal(kind: spec.kind, scopes: scopes) {
                    throw Self.permissionDenied(reason, actor: actor, tokenID: nil)
                }
                let owner: String? = if case .member(let member) = actor, spec.kind == .personal { member.id } else { nil }
                let draft = TokenRecord(
                    id: "", name: name, kind: spec.kind, owner: owner, ownerRemoved: false, createdBy: actor.auditName,
                    scopes: scopes, expandedScopes: catalog.expand(scopes).sorted(), createdAt: now,
                    expiresAt: spec.expiresAtMS, active: true, revokeAt: nil,
                    rateLimit: limit == 0 ? nil : RateLimit(limit: limit, windowMS: window), rotatedFrom: nil,
                    rotatedTo: nil, hint: "", useCount: 0, deniedCount: 0, lastUsedAt: 0)
                return try issue(draft, writer: writer, actor: actor)
            }
        }
    }

    /// Generates the secret and id for `draft`, stores the digest and audits the creation.
    private func issue(_ draft: TokenRecord, writer: any StorageWriter, actor: Actor) throws -> IssuedToken {
        // One draw from the CSPRNG for both the secret and the (independent) public id.
        guard var random = TokenFormat.randomBase62(count: TokenFormat.randomLength + TokenIDFormat.randomLength) else {
            throw TokenAuthError.internal("the random generator failed")
        }
        defer { Crypto.wipe(&random) }
        var secret = format.secret(kind: draft.kind, random: random[..<TokenFormat.randomLength])
        guard let digest = Crypto.sha256(secret) else {
            Crypto.wipe(&secret)
            throw TokenAuthError.internal("SHA-256 failed")
        }
        var token = draft
        token.id = TokenIDFormat.make(createdAtMS: token.createdAt, random: random[TokenFormat.randomLength...])
        token.hint = String(decoding: secret.prefix(format.hintLength), as: UTF8.self)
        do {
            try writer.insertToken(token, digest: digest)
            try writer.appendAudit(AuditRecord(at: token.createdAt, event: "token.created", actor: actor.auditName,
                                               tokenID: token.id, memberID: token.owner, detail: .object([
                                                   ("name", .string(token.name)), ("kind", .string(token.kind.word)),
                                                   ("scopes", .strings(token.scopes)), ("expires_at", .time(token.expiresAt)),
                                                   ("rotated_from", .optional(token.rotatedFrom)),
                                               ])))
        } catch {
            Crypto.wipe(&secret)
            throw error
        }
        return IssuedToken(secret: secret, id: token.id)
    }

    public func renameToken(actor: String?, tokenID: String, name: String) throws {
        let newName = try Validate.tokenName(name)
        try manage(actor, tokenID, "token_rename", .rename, .normal) { token, _, _, _ in
            token.name = newName
            return ("token.renamed", [("name", .string(newName))])
        }
    }

    public func setTokenActive(actor: String?, tokenID: String, active: Bool) throws {
        try manage(actor, tokenID, "token_set_active", .setActive, .full) { token, _, now, _ in
            if active, TokenState.status(of: token, owner: nil, now: now) == .revoked {
                throw TokenAuthError(.conflict, "a revoked token cannot be activated again")
            }
            token.active = active
            return (active ? "token.activated" : "token.deactivated", [])
        }
    }

    public func revokeToken(actor: String?, tokenID: String, reason: String = "revoked") throws {
        try manage(actor, tokenID, "token_revoke", .revoke, .full) { token, _, now, _ in
            token.revokeAt = min(token.revokeAt ?? now, now)
            return ("token.revoked", [("reason", .string(reason))])
        }
    }

    public func deleteToken(actor: String?, tokenID: String) throws {
        try manage(actor, tokenID, "token_delete", .delete, .full) { token, _, _, writer in
            try writer.deleteToken(id: token.id)
            return ("token.deleted", [])
        }
    }

    /// Issues a successor with the same name, kind, owner, scopes, rate limit and lifetime length, and
    /// revokes this token once `graceMS` has passed.
    public func rotateToken(actor: String?, tokenID: String, graceMS: Int64) throws -> IssuedToken {
        guard graceMS >= 0 else { throw TokenAuthError.invalid("grace_ms must not be negative") }
        var issued: IssuedToken?
        try manage(actor, tokenID, "token_rotate", .rotate, .full) { token, resolvedActor, now, writer in
            if TokenState.status(of: token, owner: nil, now: now) == .revoked {
                throw TokenAuthError(.conflict, "a revoked token cannot be rotated")
            }
            if token.rotatedTo != nil { throw TokenAuthError(.conflict, "this token was already rotated") }
            var successor = token
            successor.createdAt = now
            successor.createdBy = resolvedActor.auditName
            successor.active = true
            successor.revokeAt = nil
            successor.rotatedFrom = token.id
            successor.rotatedTo = nil
            if token.expiresAt != 0 {
                let lifetime = token.expiresAt.subtractingReportingOverflow(token.createdAt)
                let end = now.addingReportingOverflow(lifetime.overflow ? 0 : max(lifetime.partialValue, 1))
                successor.expiresAt = end.overflow ? Int64.max : end.partialValue
            }
            let next = try issue(successor, writer: writer, actor: resolvedActor)
            issued = next
            let revokesAt = now.addingReportingOverflow(graceMS)
            token.revokeAt = revokesAt.overflow ? Int64.max : revokesAt.partialValue
            token.rotatedTo = next.id
            return ("token.rotated", [("rotated_to", .string(next.id)), ("grace_ms", .int(graceMS)),
                                      ("revokes_at", .int(token.revokeAt ?? now))])
        }
        guard let issued else { throw TokenAuthError.internal("rotation issued no token") }
        return issued
    }

    /// The shared shape of the calls on one existing token: validate, resolve the actor, find the
    /// token, check visibility and IAM, then let `change` check state and modify it; the record is
    /// written back (unless deleted) and the returned event audited, all in one transaction.
    private func manage(_ actorID: String?, _ tokenID: String, _ action: String, _ operation: AccessPolicy.Operation,
                        _ durability: Durability,
                        _ change: (inout TokenRecord, Actor, Int64, any StorageWriter) throws -> (String, [(String, JSON)])) throws {
        let id = try Validate.identifier(tokenID, "token id")
        if let actorID { _ = try Validate.memberID(actorID, "actor") }
        let now = clock.nowMS
        try auditingRefusals(action) {
            try backend.write(durability) { writer in
                let catalog = try catalog(in: writer)
                let actor = try resolveActor(actorID, in: writer, tokenID: id)
                guard var token = try writer.token(id: id) else { throw Self.noSuchToken(id) }
                let policy = AccessPolicy(actor: actor, catalog: catalog)
                guard policy.canSee(token) else { throw Self.noSuchToken(id, hiddenFrom: actor) }
                if let reason = policy.refusal(operation, on: token) {
                    throw Self.permissionDenied(reason, actor: actor, tokenID: id)
                }
                let (event, detail) = try change(&token, actor, now, writer)
                if operation != .delete { try writer.updateToken(token) }
                try writer.appendAudit(AuditRecord(at: now, event: event, actor: actor.auditName, tokenID: id,
                                                   memberID: token.owner, detail: .object(detail)))
            }
        }
    }
}

extension TokenStore {
    /// Overwrites a secret once it has been handed over (`OPENSSL_cleanse`).
    public static func wipe(_ secret: inout [UInt8]) { Crypto.wipe(&secret) }
}
