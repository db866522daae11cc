/// What verification needs of one token, as of one committed snapshot, plus this handle's usage
/// counts for it since the last flush: 128 bytes, stored in the index's table on a 128-byte boundary,
/// so that a verification touches one pair of cache lines. Dropped, never patched, when a commit
/// changes the token, its owner or the catalog. Scope sets are positions in the index's `ScopeIndex`:
/// the first 64 inline, the rest (large catalogs) and a personal token's owner in `extra`.
struct IndexedToken {
    // Declared in layout order (Swift places fields in order): 64 bytes, then 64 bytes.
    var digest: Digest
    var id: TokenID
    var kind: TokenKind
    private var flags: Flags
    /// The end of a rotation's grace period; `Int64.max` when there is none (or it is recorded as
    /// a revocation: the `revoked` flag decides, whatever the clock reads).
    private var graceEndsAtOrNever: Int64
    var expiresAt: Int64
    /// 0 when the token has no rate limit.
    private var rateLimitValue: UInt32
    private var rateWindowMS: UInt32
    private var inForceLow: UInt64
    private var usage = PendingUse()
    private var extra: IndexedTokenExtra?

    private struct Flags: OptionSet {
        let rawValue: UInt8
        static let active = Flags(rawValue: 1)
        static let ownerRemoved = Flags(rawValue: 2)
        static let ownerKnown = Flags(rawValue: 4)
        static let ownerActive = Flags(rawValue: 8)
        static let queued = Flags(rawValue: 16)
        static let revoked = Flags(rawValue: 32)
    }

    /// nil when the token's id is longer than `TokenID.capacity` (never issued by this library).
    init?(_ token: VerificationLookup, scopes: ScopeIndex, owner: String) {
        guard let id = TokenID(token.id), let digest = Digest(token.digest) else { return nil }
        self.digest = digest
        self.id = id
        kind = token.kind
        var flags: Flags = []
        if token.active { flags.insert(.active) }
        if token.ownerRemoved { flags.insert(.ownerRemoved) }
        if token.revoked { flags.insert(.revoked) }
        if let member = token.ownerMember {
            flags.insert(.ownerKnown)
            if member.active { flags.insert(.ownerActive) }
        }
        self.flags = flags
        graceEndsAtOrNever = token.revoked ? .max : token.graceEndsAt ?? .max
        expiresAt = token.expiresAt
        rateLimitValue = token.rateLimit?.limit ?? 0
        rateWindowMS = token.rateLimit?.windowMS ?? 0
        let (inForce, qualified) = scopes.inForce(expanded: token.expandedScopes, kind: token.kind, owner: token.ownerMember)
        inForceLow = inForce.low
        extra = token.kind == .personal || !inForce.high.isEmpty || qualified != nil
            ? IndexedTokenExtra(owner: owner, inForce: inForce, qualified: qualified) : nil
    }

    var rateLimit: RateLimit? { rateLimitValue == 0 ? nil : RateLimit(limit: rateLimitValue, windowMS: rateWindowMS) }

    /// Whether deciding about this token depends on the exact wall-clock time: an expiry or a grace
    /// period. Otherwise the time only stamps the use (rate limits have a clock of their own).
    var isTimeSensitive: Bool { expiresAt != 0 || graceEndsAtOrNever != .max }

    /// The verification checks that do not involve scopes or the rate limit, at `now`.
    @inline(__always)
    func status(at now: Int64) -> Status {
        TokenState.status(revoked: flags.contains(.revoked), graceEndsAt: graceEndsAtOrNever == .max ? nil : graceEndsAtOrNever,
                          ownerRemoved: flags.contains(.ownerRemoved), expiresAt: expiresAt,
                          active: flags.contains(.active), kind: kind,
                          ownerActive: flags.contains(.ownerKnown) ? flags.contains(.ownerActive) : nil, now: now)
    }

    /// Whether the scope at catalog position `position` is in force on every resource.
    @inline(__always)
    func holds(_ position: Int) -> Bool {
        position < 64 ? inForceLow & (1 << UInt64(position)) != 0 : extra?.inForce.contains(position) ?? false
    }

    /// Whether the scope at `position`, not in force on every resource, is in force on `resource`
    /// through a qualified grant: the token's grant entry that holds it (-1: one on every resource
    /// while its owner holds it there only), or nil.
    @inline(__always)
    func holds(_ position: Int, on resource: UnsafeRawBufferPointer) -> Int? {
        extra?.qualified?.inForce(position, on: resource)
    }

    /// Counts that the token's qualified grant `entry` put the scope at `position` in force (a use
    /// of the grant `scope@pattern`, for the least-privilege report): a bit per grant for the first
    /// 64 grants of one scope, a set for admin grants (any scope) and the rest.
    mutating func countQualifiedUse(_ position: Int, entry: Int) {
        guard entry >= 0, let extra else { return }
        if entry < 64, extra.qualified?.position(entry) == position {
            extra.usedEntries |= 1 << UInt64(entry)
        } else {
            extra.usedQualified.insert(UInt64(UInt32(truncatingIfNeeded: entry)) << 32 | UInt64(UInt32(truncatingIfNeeded: position)))
        }
    }

    /// The owner's member id for a personal token ("" once the owner was removed); unused for a
    /// service token, whose subject is its id.
    var owner: String { extra?.owner ?? "" }

    /// Calls `body` with the subject's bytes: the owner's member id, or the token id of a service token.
    @inline(__always)
    func withSubject<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        if kind == .service { return id.withBytes(body) }
        let owner = owner
        if let result = owner.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(owner.utf8).withUnsafeBytes(body)
    }

    var subject: String { kind == .service ? id.string : owner }

    // MARK: usage since the last flush

    var hasUses: Bool { usage.uses > 0 }

    /// Whether the token is on the usage recorder's flush queue.
    var isQueued: Bool {
        get { flags.contains(.queued) }
        set { if newValue { flags.insert(.queued) } else { flags.remove(.queued) } }
    }

    /// Counts one use at `now` of the scopes `used`; returns counts that must be written separately
    /// (an earlier UTC day's, or a full counter's), if any.
    mutating func countUse(at now: Int64, scopes used: ScopeSet, names: (ScopeSet) -> [String]) -> TokenUsage? {
        var previous: TokenUsage?
        let dayStart = Int64(usage.day) &* UTCDay.millisecondsPerDay
        if now < dayStart || now - dayStart >= UTCDay.millisecondsPerDay || usage.uses == .max {
            previous = takeUsage(names: names)
            guard let day = Int32(exactly: UTCDay.day(of: now)) else {
                // A clock tens of millions of years away: counted straight into the buffer.
                var single = TokenUsage()
                single.uses = 1
                single.lastUsedAt = now
                single.days[UTCDay.day(of: now)] = TokenUsage.DayCounts(uses: 1, denied: 0)
                if var previous {
                    previous.merge(single)
                    return previous
                }
                return single
            }
            usage.day = day
        }
        usage.uses += 1
        usage.lastUsedAt = max(usage.lastUsedAt, now)
        usage.usedLow |= used.low
        if !used.high.isEmpty { extra?.usedHigh.formUnion(used) }
        return previous
    }

    /// Moves the counts out as a `TokenUsage`, leaving them empty.
    mutating func takeUsage(names: (ScopeSet) -> [String]) -> TokenUsage? {
        takeUses()?.usage(names: names)
    }

    /// Moves the counts out as plain values, leaving them empty. Allocates nothing for catalogs of up
    /// to 64 scopes, so that it can run under a shard lock that verifications wait for.
    mutating func takeUses() -> TakenUses? {
        guard usage.uses > 0 else { return nil }
        var used = ScopeSet(low: usage.usedLow)
        var usedGrants: [UInt64] = []
        if let extra {
            used.formUnion(extra.usedHigh)
            extra.usedHigh = ScopeSet()
            if extra.usedEntries != 0 || !extra.usedQualified.isEmpty, let qualified = extra.qualified {
                usedGrants = Array(extra.usedQualified)
                for entry in 0..<min(64, qualified.tokenCount) where extra.usedEntries & (1 << UInt64(entry)) != 0 {
                    usedGrants.append(UInt64(entry) << 32 | UInt64(UInt32(truncatingIfNeeded: qualified.position(entry))))
                }
                extra.usedEntries = 0
                extra.usedQualified.removeAll()
            }
        }
        let taken = TakenUses(id: id, uses: Int64(usage.uses), lastUsedAt: usage.lastUsedAt, day: Int64(usage.day), used: used,
                              usedGrants: usedGrants, qualified: extra?.qualified)
        usage.uses = 0
        usage.lastUsedAt = 0
        usage.usedLow = 0
        return taken
    }
}

/// One indexed token's successful uses of one UTC day, taken out of its entry.
struct TakenUses {
    let id: TokenID
    let uses: Int64
    let lastUsedAt: Int64
    let day: Int64
    /// Positions over the `ScopeIndex` the entry was indexed with.
    let used: ScopeSet
    /// Qualified grants used: (token grant entry << 32) | scope position.
    var usedGrants: [UInt64] = []
    var qualified: QualifiedGrants?

    /// The counts to write: uses, the day's uses, and one "scope" count per scope used (a scope used
    /// through a qualified grant as `scope@pattern`).
    func usage(names: (ScopeSet) -> [String]) -> TokenUsage {
        var counts = TokenUsage()
        counts.uses = uses
        counts.lastUsedAt = lastUsedAt
        counts.days[day] = TokenUsage.DayCounts(uses: uses, denied: 0)
        for name in names(used) { counts.counts[UsageCountKey(day: day, dimension: .scope, key: name)] = 1 }
        if let qualified {
            for pair in usedGrants {
                guard let name = names(ScopeSet(positions: [Int(pair & 0xFFFF_FFFF)])).first else { continue }
                let grant = qualified.usedGrant(scope: name, entry: Int(pair >> 32))
                counts.counts[UsageCountKey(day: day, dimension: .scope, key: grant)] = 1
            }
        }
        return counts
    }
}

/// Successful uses of one token recorded in memory since the last flush (one UTC day's worth).
private struct PendingUse {
    /// Scope positions below 64 used (the rest are in the token's `extra`).
    var usedLow: UInt64 = 0
    var lastUsedAt: Int64 = 0
    var uses: UInt32 = 0
    /// The UTC day counted (days since 1970-01-01).
    var day: Int32 = 0
}

/// The rarely needed part of an indexed token, apart so that the entry stays 128 bytes: a personal
/// token's owner, the scope positions from 64 on (catalogs of more than 64 scopes), and qualified
/// grants. Written only
/// under the shard lock of its entry.
final class IndexedTokenExtra: @unchecked Sendable {
    let owner: String
    let inForce: ScopeSet
    /// The qualified grants of the token or its owner, if either has any.
    let qualified: QualifiedGrants?
    var usedHigh = ScopeSet()
    /// Qualified grants used since the last flush: a bit per grant entry, and (entry << 32 | scope
    /// position) pairs for admin grants and entries from 64 on.
    var usedEntries: UInt64 = 0
    var usedQualified = Set<UInt64>()

    init(owner: String, inForce: ScopeSet, qualified: QualifiedGrants?) {
        self.owner = owner
        self.inForce = inForce
        self.qualified = qualified
    }
}

/// A token id held inline (ids are "tok_" + 16 base62 characters: 20 bytes), so that the index
/// keeps no string object per token.
struct TokenID {
    static let capacity = 24
    private var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private(set) var count: UInt8 = 0

    init?(_ id: String) {
        let length = id.utf8.count
        guard length <= Self.capacity else { return nil }
        withUnsafeMutableBytes(of: &words) { id.copyUTF8(into: $0) }
        count = UInt8(length)
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
