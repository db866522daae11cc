/// What verification needs of one token, as of one committed snapshot, plus this handle's usage
/// counts for it since the last flush. Stored inline in the index's table (no object per token, no
/// reference counting when read) and dropped, never patched, when a commit changes the token, its
/// owner or the catalog. The scope sets are positions in the index's `ScopeIndex`.
struct IndexedToken {
    // Declared small-to-fit (Swift lays fields out in order): about 170 bytes per token.
    var digest: Digest
    var id: TokenID
    var kind: TokenKind
    var active: Bool
    var ownerRemoved: Bool
    var ownerActive: Bool?
    /// The owner's member id for a personal token ("" once the owner was removed); unused for a
    /// service token, whose subject is its id. Equal ids share one storage (`SubjectNames`).
    var owner: String
    /// `Int64.max` when not revoked.
    private var revokeAtOrNever: Int64
    var expiresAt: Int64
    /// 0 when the token has no rate limit.
    private var rateLimitValue: UInt32
    private var rateWindowMS: UInt32
    var inForce: ScopeSet
    var usage = PendingUse()

    var revokeAt: Int64? { revokeAtOrNever == .max ? nil : revokeAtOrNever }

    /// Whether deciding about this token depends on the exact time: an expiry, a revocation (with
    /// or without grace), or a rate limit. Otherwise the time only stamps the use.
    var isTimeSensitive: Bool { expiresAt != 0 || revokeAtOrNever != .max || rateLimitValue != 0 }
    var rateLimit: RateLimit? { rateLimitValue == 0 ? nil : RateLimit(limit: rateLimitValue, windowMS: rateWindowMS) }

    /// nil when the token's id is longer than `TokenID.capacity` (never issued by this library).
    init?(_ token: VerificationLookup, scopes: ScopeIndex, owner: String) {
        guard let id = TokenID(token.id), let digest = Digest(token.digest) else { return nil }
        self.digest = digest
        self.id = id
        self.owner = owner
        kind = token.kind
        active = token.active
        ownerRemoved = token.ownerRemoved
        ownerActive = token.ownerMember?.active
        revokeAtOrNever = token.revokeAt ?? .max
        expiresAt = token.expiresAt
        rateLimitValue = token.rateLimit?.limit ?? 0
        rateWindowMS = token.rateLimit?.windowMS ?? 0
        inForce = scopes.set(of: ScopesInForce(catalog: scopes.catalog, tokenScopes: words(token.expandedScopes),
                                               kind: token.kind, owner: token.ownerMember))
    }

    /// The verification checks that do not involve scopes or the rate limit, at `now`.
    @inline(__always)
    func status(at now: Int64) -> Status {
        TokenState.status(revokeAt: revokeAt, ownerRemoved: ownerRemoved, expiresAt: expiresAt, active: active,
                          kind: kind, ownerActive: ownerActive, now: now)
    }

    /// Calls `body` with the subject's bytes: the owner's member id, or the token id of a service token.
    @inline(__always)
    func withSubject<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        if kind == .service { return id.withBytes(body) }
        if let result = owner.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(owner.utf8).withUnsafeBytes(body)
    }

    var subject: String { kind == .service ? id.string : owner }
}

/// A token id held inline (ids are "tok_" + 16 base62 characters: 20 bytes), so that the index
/// keeps no string object per token.
struct TokenID {
    static let capacity = 24
    private var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private(set) var count: UInt8 = 0

    init?(_ id: String) {
        let utf8 = id.utf8
        guard utf8.count <= Self.capacity else { return nil }
        withUnsafeMutableBytes(of: &words) { buffer in
            for (offset, byte) in utf8.enumerated() { buffer[offset] = byte }
        }
        count = UInt8(utf8.count)
    }

    @inline(__always)
    func withBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        withUnsafeBytes(of: words) { body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(count)])) }
    }

    /// Writes the id NUL-terminated into `field` (truncated to fit), with word stores when it fits.
    @inline(__always)
    func copy(into field: UnsafeMutableRawBufferPointer) {
        guard field.count > Self.capacity, let base = field.baseAddress else {
            withBytes { VerdictText.fill(field, with: $0) }
            return
        }
        base.storeBytes(of: words.0, as: UInt64.self)
        base.storeBytes(of: words.1, toByteOffset: 8, as: UInt64.self)
        base.storeBytes(of: words.2, toByteOffset: 16, as: UInt64.self)
        field[Int(count)] = 0
    }

    var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }
}

/// Successful uses of one token recorded in memory since the last flush (one UTC day's worth).
struct PendingUse {
    /// The first millisecond of the UTC day counted (a use within it needs no division).
    var dayStart: Int64 = 0
    var uses: Int64 = 0
    var lastUsedAt: Int64 = 0
    var scopes = ScopeSet()
    /// Whether the token is on the flush queue.
    var queued = false

    /// Counts one use at `now` of `scopes`; returns the counts of an earlier UTC day, to be written
    /// separately, if the day changed.
    mutating func count(at now: Int64, scopes used: ScopeSet, names: (ScopeSet) -> [String]) -> TokenUsage? {
        var previous: TokenUsage?
        if now < dayStart || now - dayStart >= UTCDay.millisecondsPerDay {
            previous = take(names: names)
            dayStart = UTCDay.day(of: now) &* UTCDay.millisecondsPerDay
        }
        uses += 1
        lastUsedAt = max(lastUsedAt, now)
        scopes.formUnion(used)
        return previous
    }

    /// Moves the counts out as a `TokenUsage`, leaving this empty.
    mutating func take(names: (ScopeSet) -> [String]) -> TokenUsage? {
        guard uses > 0 else { return nil }
        var usage = TokenUsage()
        usage.uses = uses
        usage.lastUsedAt = lastUsedAt
        let day = UTCDay.day(of: dayStart)
        usage.days[day] = TokenUsage.DayCounts(uses: uses, denied: 0)
        for name in names(scopes) { usage.counts[UsageCountKey(day: day, dimension: .scope, key: name)] = 1 }
        uses = 0
        lastUsedAt = 0
        scopes = ScopeSet()
        return usage
    }
}
