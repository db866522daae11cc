/// The hot path: decides a presented credential in the contract's order — format, existence,
/// revocation, expiry, activity, the owner's activity, scopes, rate limit — and counts the outcome.
struct Verifier: Sendable {
    let backend: any StorageBackend
    let format: TokenFormat
    let catalog: CatalogCache
    let limiter: RateLimiter
    let usage: UsageRecorder
    let clock: StoreClock

    func verify(credential: UnsafeRawBufferPointer?, requiredScopes: String?) -> Verdict {
        var required: [String] = []
        if let requiredScopes {
            let listed = requiredScopes.split(separator: " ")
            guard listed.allSatisfy({ Validate.isScopeName($0.utf8) }) else {
                return Self.failure(.invalidArgument)
            }
            required = listed.map(String.init)
        }
        guard let credential, let token = Credential.token(in: credential), format.check(token) != nil else {
            return Self.failure(.malformed)
        }
        var digest = [UInt8](repeating: 0, count: Crypto.digestLength)
        guard digest.withUnsafeMutableBytes({ Crypto.sha256(token, into: $0) }) else { return Self.failure(.internalError) }
        let found: VerificationLookup?
        do {
            found = try digest.withUnsafeBytes { try backend.lookup(digest: $0) }
        } catch {
            return Self.failure(error.status)
        }
        guard let found, found.digest.withUnsafeBytes({ stored in
            digest.withUnsafeBytes { Crypto.constantTimeEqual(stored, $0) }
        }) else {
            return Self.failure(.unknownToken)
        }
        return decide(found, required: required)
    }

    private func decide(_ token: VerificationLookup, required: [String]) -> Verdict {
        let now = clock.nowMS
        var verdict = Verdict(status: .ok)
        verdict.kind = token.kind
        verdict.tokenID = token.id
        verdict.subject = token.kind == .service ? token.id : (token.ownerRemoved ? "" : token.owner ?? "")
        verdict.expiresAtMS = token.expiresAt
        verdict.rateLimit = token.rateLimit?.limit ?? 0

        verdict.status = TokenState.status(revokeAt: token.revokeAt, ownerRemoved: token.ownerRemoved,
                                           expiresAt: token.expiresAt, active: token.active, kind: token.kind,
                                           ownerActive: token.ownerMember?.active, now: now)
        if verdict.status == .ok, !required.isEmpty {
            do {
                let inForce = ScopesInForce(catalog: try catalog.current(version: token.catalogVersion),
                                            tokenScopes: words(token.expandedScopes), kind: token.kind,
                                            owner: token.ownerMember)
                if let missing = inForce.firstMissing(required) {
                    verdict.status = .forbidden
                    verdict.missingScope = missing
                }
            } catch {
                return Self.failure(error.status)
            }
        }
        if let limit = token.rateLimit {
            let reading = limiter.take(token.id, limit, now: now, spend: verdict.status == .ok)
            if !reading.allowed {
                verdict.status = .rateLimited
                verdict.retryAfterMS = reading.retryAfterMS
            }
            verdict.rateRemaining = reading.remaining
            verdict.rateResetMS = reading.resetMS
        }
        if verdict.status == .ok {
            usage.recordUse(token.id, scopes: required, at: now)
        } else {
            usage.recordDenial(token.id, status: verdict.status, subject: verdict.subject,
                               missingScope: verdict.status == .forbidden ? verdict.missingScope : nil, at: now)
        }
        return verdict
    }

    private static func failure(_ status: Status) -> Verdict { Verdict(status: status) }
}

/// The scope catalog as last read, reloaded when the database says it changed.
final class CatalogCache: Sendable {
    private let backend: any StorageBackend
    private let cached: Locked<(catalog: ScopeCatalog, version: Int64)>

    init(backend: any StorageBackend) throws {
        self.backend = backend
        cached = Locked(try backend.loadCatalog())
    }

    /// The catalog, at least as new as `version`.
    func current(version: Int64) throws -> ScopeCatalog {
        if let catalog = cached.withLock({ $0.version >= version ? $0.catalog : nil }) { return catalog }
        let fresh = try backend.loadCatalog()
        cached.withLock { if fresh.version > $0.version { $0 = fresh } }
        return fresh.catalog
    }
}

extension Error {
    /// The status a thrown error maps to; anything unexpected is an internal error.
    var status: Status { (self as? TokenAuthError)?.status ?? .internalError }
}
