/// What verification needs of one token, as of one committed snapshot, plus this handle's usage
/// counts for it since the last flush. Stored inline in the index's table (no object per token, no
/// reference counting when read) and dropped, never patched, when a commit changes the token, its
/// owner or the catalog. The scope sets are positions in the index's `ScopeIndex`.
struct IndexedToken {
    var digest: Digest
    var id: TokenID
    /// The owner's member id for a personal token ("" once the owner was removed); unused for a
    /// service token, whose subject is its id. Equal ids share one storage (`SubjectNames`).
    var owner: String
    var kind: TokenKind
    var active: Bool
    var ownerRemoved: Bool
    var ownerActive: Bool?
    var revokeAt: Int64?
    var expiresAt: Int64
    var rateLimit: RateLimit?
    var inForce: ScopeSet
    var usage = PendingUse()

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
        revokeAt = token.revokeAt
        expiresAt = token.expiresAt
        rateLimit = token.rateLimit
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
    static let capacity = 32
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
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

    var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }
}

/// Successful uses of one token recorded in memory since the last flush (one UTC day's worth).
struct PendingUse {
    var day: Int64 = 0
    /// The first millisecond of `day` and of the day after (a use within them needs no division).
    var dayStart: Int64 = 0
    var dayEnd: Int64 = 0
    var uses: Int64 = 0
    var lastUsedAt: Int64 = 0
    var scopes = ScopeSet()
    /// Whether the token is on the flush queue.
    var queued = false

    /// Counts one use at `now` of `scopes`; returns the counts of an earlier UTC day, to be written
    /// separately, if the day changed.
    mutating func count(at now: Int64, scopes used: ScopeSet, names: (ScopeSet) -> [String]) -> TokenUsage? {
        var previous: TokenUsage?
        if now < dayStart || now >= dayEnd {
            previous = take(names: names)
            day = UTCDay.day(of: now)
            dayStart = day &* UTCDay.millisecondsPerDay
            dayEnd = dayStart &+ UTCDay.millisecondsPerDay
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
        usage.days[day] = TokenUsage.DayCounts(uses: uses, denied: 0)
        for name in names(scopes) { usage.counts[UsageCountKey(day: day, dimension: .scope, key: name)] = 1 }
        uses = 0
        lastUsedAt = 0
        scopes = ScopeSet()
        return usage
    }
}
