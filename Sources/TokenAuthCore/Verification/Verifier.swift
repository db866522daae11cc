/// The hot path: decides a presented credential in the contract's order — format, existence,
/// revocation, expiry, activity, the owner's activity, scopes, rate limit — and counts the outcome.
/// For a token seen before it hashes, looks up memory and updates the entry's counters in place,
/// under the entry's shard lock: no SQL, no allocation, no reference counting.
/// A struct holding its parts unretained: the store owns them and outlives every call, and a shared
/// object whose reference count every verifying thread wrote would serialise them. The index, the
/// clock and the rate limiter are reached through `_withUnsafeGuaranteedRef` (no retain at all: a
/// method called through an `unowned(unsafe)` reference still retains it for the call).
struct Verifier: @unchecked Sendable {
    private let index: Unmanaged<TokenIndex>
    private let format: TokenFormat
    private let limiter: Unmanaged<RateLimiter>
    private unowned(unsafe) let usage: UsageRecorder
    private let clock: Unmanaged<StoreClock>

    init(index: TokenIndex, format: TokenFormat, limiter: RateLimiter, usage: UsageRecorder, clock: StoreClock) {
        self.index = Unmanaged.passUnretained(index)
        self.format = format
        self.limiter = Unmanaged.passUnretained(limiter)
        self.usage = usage
        self.clock = Unmanaged.passUnretained(clock)
    }

    /// `resource`: the resource the request touches (nil or empty: none; then only grants on every
    /// resource count). `counting: false` answers the same question without side effects: no
    /// rate-limit unit spent, no use or denial recorded (an operator inspecting a leaked token must
    /// not alter the evidence).
    func verify(credential: UnsafeRawBufferPointer?, requiredScopes: UnsafeRawBufferPointer?,
                resource named: UnsafeRawBufferPointer? = nil, text: VerdictText, counting: Bool = true) -> VerdictFacts {
        let required = requiredScopes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        let resource = named.flatMap { $0.isEmpty ? nil : $0 }
        if let resource, !ResourcePattern.isWellFormed(resource, wildcards: false) { return VerdictFacts(status: .invalidArgument) }
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
            var leases = 0
            while true {
                let mustAnswer = leases >= Self.leasesPerVerification
                let answer = try index._withUnsafeGuaranteedRef { index in
                    try index.withToken(digest) { entry, scopes in
                        let now = clock._withUnsafeGuaranteedRef { entry.isTimeSensitive ? $0.nowMS : $0.coarseNowMS }
                        return decide(&entry, scopes: scopes, required: required, resource: resource, text: text, now: now,
                                      counting: counting, mustAnswer: mustAnswer)
                    }
                }
                guard case .token(let decision) = answer else { return unlessScopesAreIllFormed(.unknownToken) }
                let limit: RateLimit
                switch decision {
                case .facts(let facts): return facts
                case .leaseFirst(let needed): limit = needed
                }
                // The fleet's round trip, outside the index's lock; then the whole decision again.
                try clock._withUnsafeGuaranteedRef { clock in
                    try limiter._withUnsafeGuaranteedRef { try $0.lease(digest, limit, now: clock.windowNowNS, pinnedUS: clock.pinnedUS) }
                }
                leases += 1
            }
        } catch {
            return unlessScopesAreIllFormed(error.status)
        }
    }

    /// Leases taken for one verification before a token whose share others keep emptying is refused.
    private static let leasesPerVerification = 2

    private enum Decision {
        case facts(VerdictFacts)
        /// The token's share of a fleet's budget is empty: lease it, then decide again.
        case leaseFirst(RateLimit)
    }

    private func decide(_ token: inout IndexedToken, scopes: ScopeLookup, required: UnsafeRawBufferPointer,
                        resource: UnsafeRawBufferPointer?, text: VerdictText, now: Int64, counting: Bool,
                        mustAnswer: Bool) -> Decision {
        var facts = VerdictFacts(status: token.status(at: now))
        var used = ScopeSet()
        var usedGrants = QualifiedUses()
        var missing: UnsafeRawBufferPointer?
        if facts.status == .ok {
            for word in ScopeWords(required) {
                guard let position = scopes.position(of: word) else {
                    facts.status = .forbidden
                    missing = word
                    break
                }
                if token.holds(position) {
                    used.insert(position)
                } else if let resource, let entry = token.holds(position, on: resource) {
                    if entry < 0 { used.insert(position) } else { usedGrants.append(position: position, entry: entry) }
                } else {
                    facts.status = .forbidden
                    missing = word
                    break
                }
            }
        }
        if facts.status != .ok, !ScopeWords.areValid(required) { return .facts(VerdictFacts(status: .invalidArgument)) }
        facts.kind = token.kind
        facts.expiresAtMS = token.expiresAt
        facts.rateLimit = token.rateLimit?.limit ?? 0
        token.id.copy(into: text.tokenID)
        if token.kind == .service { token.id.copy(into: text.subject) } else { token.withSubject { VerdictText.fill(text.subject, with: $0) } }
        if let missing { VerdictText.fill(text.missingScope, with: missing) }

        if let limit = token.rateLimit {
            let windowNow = clock._withUnsafeGuaranteedRef { $0.windowNowNS }
            let reading = limiter._withUnsafeGuaranteedRef {
                $0.take(token.digest, limit, now: windowNow, spend: counting && facts.status == .ok,
                        reporting: counting ? token.id : nil, wallNow: now, mustAnswer: mustAnswer)
            }
            guard let reading else {
                return .leaseFirst(limit)
            }
            if !reading.allowed {
                facts.status = .rateLimited
                facts.retryAfterMS = reading.retryAfterMS
            }
            facts.rateRemaining = reading.remaining
            facts.rateResetMS = reading.resetMS
        }
        if !counting {
            return .facts(facts)
        } else if facts.status == .ok {
            if let earlierDay = token.countUse(at: now, scopes: used, names: scopes.names(in:)) {
                usage.add(earlierDay, tokenID: token.id)
            }
            usedGrants.forEach { token.countQualifiedUse($0, entry: $1) }
        } else {
            usage.recordDenial(token.id.string, status: facts.status, subject: token.subject,
                               missingScope: missing.map { String(decoding: $0, as: UTF8.self) }, at: now)
        }
        return .facts(facts)
    }
}

extension Error {
    /// The status a thrown error maps to; anything unexpected is an internal error.
    var status: Status { (self as? TokenAuthError)?.status ?? .internalError }
}

/// The qualified grants a verification used (scope position, the token's grant entry), kept inline
/// for the usual one required scope, so that a verification against a resource allocates nothing.
private struct QualifiedUses {
    private var first: (position: Int, entry: Int)?
    private var more: [(position: Int, entry: Int)] = []

    mutating func append(position: Int, entry: Int) {
        if first == nil { first = (position, entry) } else { more.append((position, entry)) }
    }

    func forEach(_ body: (Int, Int) -> Void) {
        guard let first else { return }
        body(first.position, first.entry)
        for use in more { body(use.position, use.entry) }
    }
}
