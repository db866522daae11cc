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

    /// Overwrites the secret in place once it has been handed over (`OPENSSL_cleanse`).
    public mutating func wipeSecret() { Crypto.wipe(&secret) }
}

/// A spec that passed the argument checks, with this handle's rate-limit defaults applied.
private struct CreationRequest {
    var name: String
    var kind: TokenKind
    var scopes: [Grant]
    var expiresAt: Int64
    var rateLimit: RateLimit?
}

/// Creating tokens, one (`ta_token_create`) or a batch (`ta_token_create_batch`): the same checks,
/// the same records and one `token.created` audit entry per token, in one transaction per call.
extension TokenStore {
    /// The most tokens one `createTokens` call creates (`TA_BATCH_MAX`): the call holds the write
    /// lock for all of them.
    public static let batchLimit = 1000

    public func createToken(actor actorID: String?, spec: TokenSpec) throws -> IssuedToken {
        let issued = try create(actorID, [spec], action: "token_create", namingSpecs: false)
        guard let token = issued.first else { throw TokenAuthError.internal("the creation issued no token") }
        return token
    }

    /// Creates one token per spec, in order, exactly as that many `createToken` calls would, but in
    /// one transaction: all or none. The checks run in the single call's order over the whole batch
    /// (every spec's arguments, the actor, then each spec's scopes and permission); the first
    /// failure decides, and its message names the spec ("specs[3]: name is empty").
    public func createTokens(actor actorID: String?, specs: [TokenSpec]) throws -> [IssuedToken] {
        try Self.checkBatchCount(specs.count)
        return try create(actorID, specs, action: "token_create_batch", namingSpecs: true)
    }

    /// TA_INVALID_ARGUMENT unless 1 <= count <= `batchLimit`.
    public static func checkBatchCount(_ count: Int) throws {
        guard count >= 1, count <= batchLimit else {
            throw TokenAuthError.invalid("count must be 1..\(batchLimit) (TA_BATCH_MAX), not \(count)")
        }
    }

    /// The path both calls share. On any failure, secrets already generated are wiped.
    private func create(_ actorID: String?, _ specs: [TokenSpec], action: String, namingSpecs: Bool) throws -> [IssuedToken] {
        let now = clock.nowMS
        let requests = try specs.enumerated().map { index, spec in
            try Self.naming(index, namingSpecs) { try request(spec, actorID: actorID, now: now) }
        }
        if let actorID { _ = try Validate.memberID(actorID, "actor") }
        var issued: [IssuedToken] = []
        issued.reserveCapacity(requests.count)
        do {
            try auditingRefusals(action) {
                try backend.write(.normal) { writer in
                    let catalog = try catalog(in: writer)
                    let actor = try resolveActor(actorID, in: writer)
                    let policy = AccessPolicy(actor: actor, catalog: catalog)
                    let drafts = try requests.enumerated().map { index, request in
                        try Self.naming(index, namingSpecs) { try draft(request, policy: policy, now: now) }
                    }
                    for draft in drafts { issued.append(try issue(draft, writer: writer, actor: actor)) }
                }
            }
        } catch {
            // Rolled back (or the commit failed): none of these secrets may linger.
            for index in issued.indices { issued[index].wipeSecret() }
            throw error
        }
        return issued
    }

    /// Runs `body` for spec `index`; when `namingSpecs`, an error it throws names the spec.
    private static func naming<T>(_ index: Int, _ namingSpecs: Bool, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as TokenAuthError where namingSpecs {
            throw error.within("specs[\(index)]")
        }
    }

    /// The argument checks of one spec (`TA_INVALID_ARGUMENT`), before any storage is touched.
    private func request(_ spec: TokenSpec, actorID: String?, now: Int64) throws -> CreationRequest {
        let name = try Validate.tokenName(spec.name)
        let scopes = try Grant.parseList(spec.scopes, "scopes")
        guard !scopes.isEmpty else { throw TokenAuthError.invalid("scopes: at least one scope is required") }
        guard spec.expiresAtMS == 0 || spec.expiresAtMS > now else {
            throw TokenAuthError.invalid("expires_at_ms is not in the future")
        }
        if actorID == nil, spec.kind == .personal {
            throw TokenAuthError.invalid("the host (actor NULL) cannot own a personal token; create it as the member")
        }
        let limit = spec.rateLimit == 0 ? configuration.defaultRateLimit : spec.rateLimit
        let window = spec.rateWindowMS == 0 ? configuration.rateWindowMS : spec.rateWindowMS
        return CreationRequest(name: name, kind: spec.kind, scopes: scopes, expiresAt: spec.expiresAtMS,
                               rateLimit: limit == 0 ? nil : RateLimit(limit: limit, windowMS: window))
    }

    /// The record of a new token, once its scopes exist in the catalog and IAM allows the actor to
    /// create it.
    private func draft(_ request: CreationRequest, policy: AccessPolicy, now: Int64) throws -> TokenRecord {
        if let unknown = request.scopes.first(where: { !policy.catalog.contains($0.scope) }) {
            throw TokenAuthError(.unknownScope, "scope \"\(unknown.scope)\" is not in the catalog")
        }
        if let reason = policy.creationRefusal(kind: request.kind, grants: request.scopes) {
            throw Self.permissionDenied(reason, actor: policy.actor, tokenID: nil)
        }
        let owner: String? = if case .member(let member) = policy.actor, request.kind == .personal { member.id } else { nil }
        return TokenRecord(
            id: "", name: request.name, kind: request.kind, owner: owner, ownerRemoved: false,
            createdBy: policy.actor.auditName, scopes: request.scopes.map(\.text),
            expandedScopes: GrantCover(expanding: request.scopes, catalog: policy.catalog).expandedTexts, createdAt: now,
            expiresAt: request.expiresAt,
            active: true, revoked: false, revokeAt: nil, rateLimit: request.rateLimit, rotatedFrom: nil, rotatedTo: nil, hint: "",
            useCount: 0, deniedCount: 0, lastUsedAt: 0)
    }

    /// Generates the secret and id for `draft`, stores the digest and audits the creation.
    func issue(_ draft: TokenRecord, writer: any StorageWriter, actor: Actor) throws -> IssuedToken {
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

    /// Overwrites a secret once it has been handed over (`OPENSSL_cleanse`).
    public static func wipe(_ secret: inout [UInt8]) { Crypto.wipe(&secret) }

    /// The same, for a copy outside Swift's memory (a `char *` being released on a failure path).
    public static func wipe(_ bytes: UnsafeMutableRawBufferPointer) { Crypto.wipe(bytes) }
}
