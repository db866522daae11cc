import Synchronization

/// What verification needs of one token, as of one committed snapshot, plus this handle's usage
/// counts for it since the last flush. Immutable but for the counts; dropped (never patched) when a
/// commit changes the token, its owner or the catalog.
final class CachedToken: Sendable {
    let tokenID: String
    let kind: TokenKind
    let subject: String
    let ownerRemoved: Bool
    let revokeAt: Int64?
    let expiresAt: Int64
    let active: Bool
    let ownerActive: Bool?
    let rateLimit: RateLimit?
    let scopes: ScopeIndex
    let inForce: ScopeSet
    let usage = Mutex(PendingUse())

    init(_ token: VerificationLookup, scopes: ScopeIndex) {
        tokenID = token.id
        kind = token.kind
        subject = token.kind == .service ? token.id : (token.ownerRemoved ? "" : token.owner ?? "")
        ownerRemoved = token.ownerRemoved
        revokeAt = token.revokeAt
        expiresAt = token.expiresAt
        active = token.active
        ownerActive = token.ownerMember?.active
        rateLimit = token.rateLimit
        self.scopes = scopes
        inForce = scopes.set(of: ScopesInForce(catalog: scopes.catalog, tokenScopes: words(token.expandedScopes),
                                               kind: token.kind, owner: token.ownerMember))
    }

    /// The verification checks that do not involve scopes or the rate limit, at `now`.
    func status(at now: Int64) -> Status {
        TokenState.status(revokeAt: revokeAt, ownerRemoved: ownerRemoved, expiresAt: expiresAt, active: active,
                          kind: kind, ownerActive: ownerActive, now: now)
    }
}

/// Successful uses of one token recorded in memory since the last flush (one UTC day's worth).
struct PendingUse: Sendable {
    var day: Int64 = 0
    var uses: Int64 = 0
    var lastUsedAt: Int64 = 0
    var scopes = ScopeSet()
    /// Whether the token is on the flush queue.
    var queued = false

    /// Moves the counts out as a `TokenUsage`, leaving this empty.
    mutating func take(names: (ScopeSet) -> [String]) -> TokenUsage? {
        guard uses > 0 else { return nil }
        var usage = TokenUsage()
        usage.uses = uses
        usage.lastUsedAt = lastUsedAt
        usage.days[day] = TokenUsage.DayCounts(uses: uses, denied: 0)
        for name in names(scopes) { usage.counts[UsageCountKey(day: day, dimension: .scope, key: name)] = 1 }
        uses = 0
        lastUsedAt = 0
        scopes = ScopeSet()
        return usage
    }
}
