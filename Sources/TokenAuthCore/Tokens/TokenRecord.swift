/// Everything stored about a token except its digest: the secret itself is never stored.
public struct TokenRecord: Sendable {
    public var id: String
    public var name: String
    public var kind: TokenKind
    /// The owning member of a personal token (kept, for the record, after the member is removed).
    public var owner: String?
    /// Set when the owner was removed: the token then belongs to no one and is revoked for good.
    public var ownerRemoved: Bool
    public var createdBy: String
    /// As granted, sorted.
    public var scopes: [String]
    /// The granted scopes expanded through the catalog at creation, sorted.
    public var expandedScopes: [String]
    public var createdAt: Int64
    public var expiresAt: Int64
    public var active: Bool
    /// Revoked for good: a state, decided by no clock (`ta_token_revoke`, a rotation without grace,
    /// the owner's removal, a grace period that ended).
    public var revoked: Bool
    /// When `revoked`, the time the revocation was recorded (the writer's clock, for the record).
    /// Otherwise, if set, the end of a rotation's grace period: the token is revoked once the
    /// verifying host's clock reaches it.
    public var revokeAt: Int64?
    public var rateLimit: RateLimit?
    public var rotatedFrom: String?
    public var rotatedTo: String?
    public var hint: String
    public var useCount: Int64
    public var deniedCount: Int64
    public var lastUsedAt: Int64

    /// The granted scopes as grants (stored well-formed).
    var grants: [Grant] { scopes.compactMap { try? Grant.parse(Substring($0), "scope") } }

    /// The end of a rotation's grace period still running (on some host's clock), if any.
    var graceEndsAt: Int64? { revoked ? nil : revokeAt }

    /// Revokes the token for good at `now` (the writer's clock, kept for the record; an earlier
    /// revocation or grace end stays the recorded time).
    mutating func recordRevocation(at now: Int64) {
        revoked = true
        revokeAt = min(revokeAt ?? now, now)
    }

    /// Whether a member created later with the owner's id would be this token's owner: never, once removed.
    func isOwned(by memberID: String) -> Bool {
        kind == .personal && !ownerRemoved && owner == memberID
    }
}

/// A token's rate limit: `limit` requests per `windowMS`.
public struct RateLimit: Sendable, Equatable {
    public let limit: UInt32
    public let windowMS: UInt32
}

/// The verification checks that depend on the token's state, in the contract's order. Revocation
/// and the owner's removal are states; only a grace period's end and the expiry are times, decided
/// by `now` (docs/DECISIONS.md, "Clocks").
enum TokenState {
    static func status(revoked: Bool, graceEndsAt: Int64?, ownerRemoved: Bool, expiresAt: Int64, active: Bool,
                       kind: TokenKind, ownerActive: Bool?, now: Int64) -> Status {
        if revoked || ownerRemoved { return .revoked }
        if let graceEndsAt, now >= graceEndsAt { return .revoked }
        if expiresAt != 0, now >= expiresAt { return .expired }
        if !active { return .inactive }
        if kind == .personal, ownerActive != true { return .ownerInactive }
        return .ok
    }

    static func status(of token: TokenRecord, owner: Member?, now: Int64) -> Status {
        status(revoked: token.revoked, graceEndsAt: token.graceEndsAt, ownerRemoved: token.ownerRemoved, expiresAt: token.expiresAt,
               active: token.active, kind: token.kind, ownerActive: owner?.active, now: now)
    }
}

/// What a token can do now, and where: its stored expanded grants, and for a personal token also
/// its owner's current permissions, both judged with the catalog as it is now.
struct ScopesInForce {
    let catalog: ScopeCatalog
    let token: GrantCover
    let owner: GrantCover?

    init(catalog: ScopeCatalog, tokenScopes: [String], kind: TokenKind, owner: Member?) {
        self.catalog = catalog
        token = GrantCover(expanded: tokenScopes.compactMap { try? Grant.parse(Substring($0), "scope") }, catalog: catalog)
        self.owner = kind == .personal ? (owner?.cover(in: catalog) ?? GrantCover(expanding: [], catalog: catalog)) : nil
    }

    /// Whether `scope` is in force on `resource` (nil: on no specific resource; only grants on
    /// every resource count).
    func contains(_ scope: String, on resource: String? = nil) -> Bool {
        token.holds(scope, on: resource) && (owner?.holds(scope, on: resource) ?? true)
    }

    /// The first of `required` not in force.
    func firstMissing(_ required: [String]) -> String? { required.first { !contains($0) } }

    /// The catalog scopes in force on every resource, then the grants in force on some: each
    /// expanded grant `S@P` of the token its owner covers too (for a personal token whose owner
    /// holds S only on Q, the token's `S` is in force as `S@Q`).
    var all: [String] {
        let everywhere = catalog.names.filter { contains($0) }
        var qualified = Set<String>()
        for (pattern, scopes) in token.byPattern {
            for scope in scopes.union(scopes.contains(ScopeCatalog.admin) ? Set(catalog.names) : []) where !everywhere.contains(scope) {
                if owner?.covers(Grant(scope: scope, pattern: pattern)) ?? catalog.contains(scope) { qualified.insert("\(scope)@\(pattern)") }
            }
        }
        if let owner {
            for (pattern, scopes) in owner.byPattern {
                for scope in scopes.union(scopes.contains(ScopeCatalog.admin) ? Set(catalog.names) : []) where catalog.covers(token.everywhere, scope) && !everywhere.contains(scope) {
                    qualified.insert("\(scope)@\(pattern)")
                }
            }
        }
        return everywhere + qualified.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
