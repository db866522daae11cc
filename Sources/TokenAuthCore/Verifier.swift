/// The hot path: decides a presented credential in the contract's order — format, existence,
/// revocation, expiry, activity, the owner's activity, scopes, rate limit — and counts the outcome.
/// For a token seen before it hashes, looks up memory and updates counters: no SQL, no allocation.
final class Verifier: Sendable {
    private let index: TokenIndex
    private let format: TokenFormat
    private let limiter: RateLimiter
    private let usage: UsageRecorder
    private let clock: StoreClock

    init(index: TokenIndex, format: TokenFormat, limiter: RateLimiter, usage: UsageRecorder, clock: StoreClock) {
        self.index = index
        self.format = format
        self.limiter = limiter
        self.usage = usage
        self.clock = clock
    }

    /// `counting: false` answers the same question without side effects: no rate-limit unit spent,
    /// no use or denial recorded (an operator inspecting a leaked token must not alter the evidence).
    func verify(credential: UnsafeRawBufferPointer?, requiredScopes: UnsafeRawBufferPointer?, counting: Bool = true) -> Verdict {
        let required = requiredScopes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        guard ScopeWords.areValid(required) else { return Verdict(status: .invalidArgument) }
        guard let credential, let token = Credential.token(in: credential), format.check(token) != nil else {
            return Verdict(status: .malformed)
        }
        guard let digest = Digest.sha256(token) else { return Verdict(status: .internalError) }
        let answer: TokenIndex.Answer
        do {
            answer = try index.find(digest)
        } catch {
            return Verdict(status: error.status)
        }
        guard case .known(let entry) = answer else { return Verdict(status: .unknownToken) }
        return decide(entry, digest: digest, required: required, counting: counting)
    }

    private func decide(_ token: CachedToken, digest: Digest, required: UnsafeRawBufferPointer, counting: Bool) -> Verdict {
        let now = clock.nowMS
        var verdict = Verdict(status: token.status(at: now))
        verdict.kind = token.kind
        verdict.tokenID = token.tokenID
        verdict.subject = token.subject
        verdict.expiresAtMS = token.expiresAt
        verdict.rateLimit = token.rateLimit?.limit ?? 0

        var used = ScopeSet()
        if verdict.status == .ok {
            for word in ScopeWords(required) {
                guard let position = token.scopes.position(of: word), token.inForce.contains(position) else {
                    verdict.status = .forbidden
                    verdict.missingScope = String(decoding: word, as: UTF8.self)
                    break
                }
                used.insert(position)
            }
        }
        if let limit = token.rateLimit {
            let reading = limiter.take(digest, limit, now: now, spend: counting && verdict.status == .ok)
            if !reading.allowed {
                verdict.status = .rateLimited
                verdict.retryAfterMS = reading.retryAfterMS
            }
            verdict.rateRemaining = reading.remaining
            verdict.rateResetMS = reading.resetMS
        }
        if !counting {
            return verdict
        } else if verdict.status == .ok {
            usage.recordUse(token, digest: digest, scopes: used, at: now)
        } else {
            usage.recordDenial(token.tokenID, status: verdict.status, subject: verdict.subject,
                               missingScope: verdict.status == .forbidden ? verdict.missingScope : nil, at: now)
        }
        return verdict
    }
}

extension Error {
    /// The status a thrown error maps to; anything unexpected is an internal error.
    var status: Status { (self as? TokenAuthError)?.status ?? .internalError }
}
