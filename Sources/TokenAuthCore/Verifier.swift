/// The hot path: decides a presented credential in the contract's order — format, existence,
/// revocation, expiry, activity, the owner's activity, scopes, rate limit — and counts the outcome.
/// For a token seen before it hashes, looks up memory and updates the entry's counters in place,
/// under the entry's shard lock: no SQL, no allocation, no reference counting.
/// A struct holding its parts unretained: the store owns them and outlives every call, and a shared
/// object whose reference count every verifying thread wrote would serialise them. The index and
/// the clock, used on every call, are reached through `_withUnsafeGuaranteedRef` (no retain at all).
struct Verifier: @unchecked Sendable {
    private let index: Unmanaged<TokenIndex>
    private let format: TokenFormat
    private unowned(unsafe) let limiter: RateLimiter
    private unowned(unsafe) let usage: UsageRecorder
    private let clock: Unmanaged<StoreClock>

    init(index: TokenIndex, format: TokenFormat, limiter: RateLimiter, usage: UsageRecorder, clock: StoreClock) {
        self.index = Unmanaged.passUnretained(index)
        self.format = format
        self.limiter = limiter
        self.usage = usage
        self.clock = Unmanaged.passUnretained(clock)
    }

    /// `counting: false` answers the same question without side effects: no rate-limit unit spent,
    /// no use or denial recorded (an operator inspecting a leaked token must not alter the evidence).
    func verify(credential: UnsafeRawBufferPointer?, requiredScopes: UnsafeRawBufferPointer?, text: VerdictText,
                counting: Bool = true) -> VerdictFacts {
        let required = requiredScopes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        // An ill-formed scope list is refused before anything else; it is checked only where the
        // answer is not OK, since a list whose every name the catalog holds is well-formed.
        func unlessScopesAreIllFormed(_ status: Status) -> VerdictFacts {
            VerdictFacts(status: ScopeWords.areValid(required) ? status : .invalidArgument)
        }
        guard let credential, let token = Credential.token(in: credential), format.check(token) != nil else {
            return unlessScopesAreIllFormed(.malformed)
        }
        guard let digest = Digest.sha256(token) else { return unlessScopesAreIllFormed(.internalError) }
        do {
            let answer = try index._withUnsafeGuaranteedRef { index in
                try index.withToken(digest) { entry, scopes in
                    let now = clock._withUnsafeGuaranteedRef { entry.isTimeSensitive ? $0.nowMS : $0.coarseNowMS }
                    return decide(&entry, scopes: scopes, required: required, text: text, now: now, counting: counting)
                }
            }
            guard case .token(let facts) = answer else { return unlessScopesAreIllFormed(.unknownToken) }
            return facts
        } catch {
            return unlessScopesAreIllFormed(error.status)
        }
    }

    private func decide(_ token: inout IndexedToken, scopes: ScopeLookup, required: UnsafeRawBufferPointer,
                        text: VerdictText, now: Int64, counting: Bool) -> VerdictFacts {
        var facts = VerdictFacts(status: token.status(at: now))
        var used = ScopeSet()
        var missing: UnsafeRawBufferPointer?
        if facts.status == .ok {
            for word in ScopeWords(required) {
                guard let position = scopes.position(of: word), token.holds(position) else {
                    facts.status = .forbidden
                    missing = word
                    break
                }
                used.insert(position)
            }
        }
        if facts.status != .ok, !ScopeWords.areValid(required) { return VerdictFacts(status: .invalidArgument) }
        facts.kind = token.kind
        facts.expiresAtMS = token.expiresAt
        facts.rateLimit = token.rateLimit?.limit ?? 0
        token.id.copy(into: text.tokenID)
        if token.kind == .service { token.id.copy(into: text.subject) } else { token.withSubject { VerdictText.fill(text.subject, with: $0) } }
        if let missing { VerdictText.fill(text.missingScope, with: missing) }

        if let limit = token.rateLimit {
            let windowNow = clock._withUnsafeGuaranteedRef { $0.windowNowNS }
            let reading = limiter.take(token.digest, limit, now: windowNow, spend: counting && facts.status == .ok,
                                       reporting: counting ? token.id : nil, wallNow: now)
            if !reading.allowed {
                facts.status = .rateLimited
                facts.retryAfterMS = reading.retryAfterMS
            }
            facts.rateRemaining = reading.remaining
            facts.rateResetMS = reading.resetMS
        }
        if !counting {
            return facts
        } else if facts.status == .ok {
            if let earlierDay = token.countUse(at: now, scopes: used, names: scopes.names(in:)) {
                usage.add(earlierDay, tokenID: token.id)
            }
        } else {
            usage.recordDenial(token.id.string, status: facts.status, subject: token.subject,
                               missingScope: missing.map { String(decoding: $0, as: UTF8.self) }, at: now)
        }
        return facts
    }
}

extension Error {
    /// The status a thrown error maps to; anything unexpected is an internal error.
    var status: Status { (self as? TokenAuthError)?.status ?? .internalError }
}
