import Synchronization

/// This handle's shares of a fleet's rate-limit budgets (PostgreSQL, `FleetBudget`): per token, units
/// leased from the token's one fleet-wide bucket, spent locally. A verification that finds units takes
/// one under a shard lock: no network. A share running low asks the background thread for another
/// lease; one found empty is leased synchronously by the verification (outside the index's locks,
/// `Verifier`), once per refill — so a token's first verification on a host, or a burst faster than the
/// background refill, waits for one round trip. A share the fleet had nothing for answers from its
/// observation of the bucket until a unit is due, without asking again.
///
/// Units are leased in chunks of limit / (4 × open handles), at least one. Units a share still holds
/// `lifetime` after its latest lease (a tenth of the window, at most a second) go back to the fleet,
/// so that what one host holds but does not use reaches the others quickly. Hence the bounds
/// (docs/DECISIONS.md, "Rate limits"): every TA_OK spends a unit the fleet bucket granted, so over
/// any period the fleet allows no more than one exact bucket would, give or take the units granted
/// within `lifetime` before it; a refusal while the fleet still holds capacity ("false 429") can
/// only come from units that other handles hold, at most (handles − 1) × chunk, for at most
/// `lifetime`.
final class FleetShares: Sendable {
    /// A token's rule in the fleet's units (µs).
    struct Rule {
        let limit: Int64
        let intervalUS: Int64
        let burstUS: Int64

        init(_ limit: RateLimit) {
            self.limit = Int64(max(limit.limit, 1))
            intervalUS = max(1, Int64(max(limit.windowMS, 1)) * 1000 / self.limit)
            burstUS = intervalUS * self.limit
        }

        /// How long a share may keep units unspent (ns): a tenth of the window, at most a second.
        var lifetimeNS: Int64 { min(1_000_000_000, burstUS * 100) }
    }

    private struct Share {
        let rule: Rule
        var units: Int64 = 0
        /// Rate-clock ns of the latest lease that granted units.
        var grantedAt: Int64 = 0
        /// How far ahead of now the fleet bucket's TAT was (µs), observed at `observedAt` (ns).
        var aheadUS: Int64 = 0
        var observedAt: Int64 = 0
        /// Until when (ns) the fleet had no unit for this token, as last observed.
        var emptyUntil: Int64 = 0
        var refillRequested = false

        init(rule: Rule) { self.rule = rule }

    /// Adds a lease's result: its units, and the bucket as the fleet saw it.
    mutating func record(_ got: (granted: Int64, aheadUS: Int64), now: Int64) {
        units = units.addingSaturated(got.granted)
        if got.granted > 0 { grantedAt = now }
        aheadUS = got.aheadUS
        observedAt = now
        // With nothing granted, the next unit is due when the TAT is back within one burst.
        let wait = got.aheadUS.subtractingSaturated(rule.burstUS).addingSaturated(rule.intervalUS)
        emptyUntil = got.granted > 0 ? 0 : now.addingSaturated(max(1, wait).multipliedSaturated(by: 1000))
    }

        func reading(now: Int64, allowed: Bool) -> BucketReading {
            let elapsedUS = max(0, now.subtractingSaturated(observedAt)) / 1000
            let ahead = max(0, aheadUS.subtractingSaturated(elapsedUS))
            let fleetLeft = max(0, rule.burstUS.subtractingSaturated(ahead)) / rule.intervalUS
            var reading = BucketReading(allowed: allowed, remaining: UInt32(clamping: max(0, units).addingSaturated(fleetLeft)),
                                        resetMS: GCRA.ceilMS(ahead.multipliedSaturated(by: 1000)), retryAfterMS: 0)
            if !allowed { reading.retryAfterMS = max(1, GCRA.ceilMS(emptyUntil.subtractingSaturated(now))) }
            return reading
        }
    }

    private let budget: any FleetBudget
    private let shards = ShardedLocked<[Digest: Share]>(count: 64) { [:] }
    private let wanted = Locked<[Digest]>([])
    private let handles = Atomic<Int>(1)
    private let ticks = Atomic<Int>(0)
    static let reconcileIntervalMS: Int64 = 100
    static let handlesEvery = 10

    init(budget: any FleetBudget) {
        self.budget = budget
    }

    private static func shard(_ digest: Digest) -> Int { Int(truncatingIfNeeded: digest.w3 % 64) }
    private static func key(_ digest: Digest) -> Int64 { Int64(bitPattern: digest.w2) }

    private func chunk(_ rule: Rule) -> Int64 { max(1, rule.limit / (4 * Int64(max(1, handles.load(ordering: .relaxed))))) }

    /// Takes one unit (or, without `spend`, reads the share) at `now` (rate-clock ns); nil when the
    /// share is empty and must be leased first (`lease`).
    func take(_ digest: Digest, _ limit: RateLimit, now: Int64, spend: Bool) -> BucketReading? {
        let rule = Rule(limit)
        var refill = false
        let reading: BucketReading? = shards.withShard(Self.shard(digest)) { shares in
            guard var share = shares[digest] else {
                return spend ? nil : Share(rule: rule).reading(now: now, allowed: true)
            }
            guard spend else { return share.reading(now: now, allowed: true) }
            if share.units > 0 {
                share.units -= 1
                if share.units <= chunk(rule) / 2, !share.refillRequested {
                    share.refillRequested = true
                    refill = true
                }
                shares[digest] = share
                return share.reading(now: now, allowed: true)
            }
            // Empty, as last observed: refused locally until a unit is due — unless the clock went
            // back (the wait would exceed a window): then the fleet's bucket, rebased, decides.
            let wait = share.emptyUntil.subtractingSaturated(now)
            return wait > 0 && wait <= rule.burstUS.multipliedSaturated(by: 1000) ? share.reading(now: now, allowed: false) : nil
        }
        if refill { wanted.withLock { $0.append(digest) } }
        return reading
    }

    /// Leases a chunk for the token from the fleet now (the verification's own round trip). `nowUS`:
    /// the pinned clock in µs, or nil for the database server's.
    func lease(_ digest: Digest, _ limit: RateLimit, now: Int64, nowUS: Int64?) throws {
        let rule = Rule(limit)
        let got = try budget.lease(key: Self.key(digest), want: chunk(rule), intervalUS: rule.intervalUS,
                                   burstUS: rule.burstUS, nowUS: nowUS)
        shards.withShard(Self.shard(digest)) { shares in
            var share = shares[digest] ?? Share(rule: rule)
            share.record(got, now: now)
            shares[digest] = share
        }
    }

    /// The background work, every `reconcileIntervalMS`: refills the shares that ran low, gives back
    /// what shares kept past their lifetime, forgets idle shares, and every `handlesEvery` calls
    /// counts the fleet's open handles (the chunk size depends on them).
    func reconcile(now: Int64, nowUS: Int64?) throws {
        if ticks.add(1, ordering: .relaxed).oldValue % Self.handlesEvery == 0 {
            handles.store(try budget.openHandles(), ordering: .relaxed)
        }
        for digest in wanted.withLock({ list in defer { list.removeAll() }; return list }) {
            let rule: Rule? = shards.withShard(Self.shard(digest)) { shares in
                shares[digest]?.refillRequested = false
                return shares[digest]?.rule
            }
            guard let rule else { continue }
            let got = try budget.lease(key: Self.key(digest), want: chunk(rule), intervalUS: rule.intervalUS,
                                       burstUS: rule.burstUS, nowUS: nowUS)
            shards.withShard(Self.shard(digest)) { shares in
                var share = shares[digest] ?? Share(rule: rule)
                share.record(got, now: now)
                shares[digest] = share
            }
        }
        try giveBack(now: now, nowUS: nowUS, all: false)
    }

    /// Returns unspent units to the fleet: those held past their lifetime, or (`all`, at close) every one.
    func giveBack(now: Int64, nowUS: Int64?, all: Bool) throws {
        var returns: [(key: Int64, units: Int64, rule: Rule)] = []
        shards.forEach { shares in
            for (digest, share) in shares where all || now.subtractingSaturated(share.grantedAt) > share.rule.lifetimeNS {
                if share.units > 0 { returns.append((Self.key(digest), share.units, share.rule)) }
                if all || now >= share.emptyUntil { shares[digest] = nil } else { shares[digest]?.units = 0 }
            }
        }
        for item in returns {
            try budget.giveBack(key: item.key, units: item.units, intervalUS: item.rule.intervalUS, nowUS: nowUS)
        }
    }
}
