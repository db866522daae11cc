import Synchronization

/// The rate limits of one store handle: one bucket per token, in the table the policy names.
///
/// - `.host` (the default for a database file): the buckets of every process of the host that opens
///   the file, in `SharedBuckets` beside it, so a token limited to 100/min gets 100/min behind any
///   number of workers.
/// - `.fleet` (the default for PostgreSQL): one bucket per token for the whole fleet, in the database,
///   from which this handle leases shares to spend locally (`FleetShares`).
/// - `.handle` (a `:memory:` store, or by choice through `ta_set_rate_limit_policy`): this handle's
///   own buckets; processes sharing a file then each keep their own.
///
/// When the shared table cannot be used (it could not be opened, or it has no free slot for a token
/// within its probe limit), the token is limited by a bucket of this handle alone — so the limit
/// is per process for it — and that is never silent: the caller counts and audits each such
/// verification (`rate_limit.unshared`), and `ta_rate_limit_info` reports it.
final class RateLimiter: Sendable {
    enum Policy: String, Sendable {
        case host, fleet, handle
    }

    /// The host's table; nil for a private store, or when it could not be opened (`hostTableProblem`).
    private let hostTable: SharedBuckets?
    let hostTableProblem: String?
    /// This handle's own buckets (private memory, pages touched only when used).
    private let ownTable: SharedBuckets?
    private let perHandle: Atomic<Bool>
    /// The verifications that fell back to a bucket of this handle alone.
    let unshared: UnsharedLimits
    /// This handle's shares of a fleet's budgets (PostgreSQL), or nil.
    let fleet: FleetShares?
    /// Buckets of tokens no table could hold, by digest (TATs; pruned of full buckets).
    private let overflow = ShardedLocked<[Digest: Int64]>(count: 16) { [:] }
    private static let overflowPruneAt = 4096

    /// The limiter of a store whose database file is at `path`, or whose hosts share `fleet`
    /// (neither: a store no other process can open, always per handle).
    init(databasePath path: String?, fleet budget: (any FleetBudget)? = nil, slots: Int = SharedBuckets.defaultSlotCount) {
        var problem: String?
        var host: SharedBuckets?
        if let path {
            do {
                host = try SharedBuckets.file(at: path + "-ratelimit", like: path, slots: slots)
            } catch {
                problem = (error as? TokenAuthError)?.message ?? "\(error)"
            }
        }
        hostTable = host
        hostTableProblem = problem
        unshared = UnsharedLimits(tableProblem: problem)
        ownTable = try? SharedBuckets.inMemory(slots: slots)
        fleet = budget.map(FleetShares.init(budget:))
        perHandle = Atomic(path == nil && budget == nil)
    }

    var policy: Policy { perHandle.load(ordering: .relaxed) ? .handle : fleet != nil ? .fleet : .host }

    /// Shares (true) or not the store's buckets; false if sharing is asked of a store no other
    /// process can open.
    func share(_ shared: Bool) -> Bool {
        guard !shared || fleet != nil || hostTable != nil || hostTableProblem != nil else { return false }
        perHandle.store(!shared, ordering: .relaxed)
        return true
    }

    /// Refills the token's bucket to `now` (the rate-limit clock), then takes one unit if `spend`
    /// (only a verification that passed every other check spends). A verification that had to use
    /// a bucket of this handle alone is counted under `token` at `wallNow`, unless `token` is nil.
    /// Nil (only under `.fleet`, unless `mustAnswer`) when the token's share must be leased first:
    /// `lease`, outside any lock, then ask again.
    @inline(__always)
    func take(_ digest: Digest, _ limit: RateLimit, now: Int64, spend: Bool, reporting token: TokenID?, wallNow: Int64,
              mustAnswer: Bool = false) -> BucketReading? {
        let handleOnly = perHandle.load(ordering: .relaxed)
        if let fleet, !handleOnly {
            if let reading = fleet.take(digest, limit, now: now, spend: spend) { return reading }
            return mustAnswer ? BucketReading(allowed: false, remaining: 0, resetMS: 0, retryAfterMS: 1) : nil
        }
        let rule = GCRA(limit)
        // Each table read in place, not picked into a local first: that copy retained it.
        let reading = handleOnly ? ownTable?.take(digest, rule, now: now, spend: spend)
                                 : hostTable?.take(digest, rule, now: now, spend: spend)
        if let reading { return reading }
        if let token { unshared.record(tableFull: (handleOnly ? ownTable : hostTable) != nil, tokenID: token, at: wallNow) }
        return takeOverflow(digest, rule, now: now, spend: spend)
    }

    private func takeOverflow(_ digest: Digest, _ rule: GCRA, now: Int64, spend: Bool) -> BucketReading {
        overflow.withShard(Int(truncatingIfNeeded: digest.w3 % 16)) { buckets in
            let (next, reading) = rule.take(tat: buckets[digest] ?? 0, now: now, spend: spend)
            if let next {
                if buckets.count >= Self.overflowPruneAt { buckets = buckets.filter { $0.value > now } }
                buckets[digest] = next
            }
            return reading
        }
    }

    /// The table in force: its file (nil: private memory), its size, and how many of its buckets are
    /// not full at `now`; nil when there is none.
    func tableState(now: Int64) -> (path: String?, slots: Int, inUse: Int)? {
        let table = perHandle.load(ordering: .relaxed) ? ownTable : hostTable
        return table.map { ($0.path, $0.slotCount, $0.bucketsInUse(now: now)) }
    }
}

extension RateLimiter {
    /// Leases the token's share from the fleet (after `take` answered nil). `pinnedUS`: the store's
    /// pinned clock, if a test pinned it (the fleet's buckets then use it instead of the server's).
    func lease(_ digest: Digest, _ limit: RateLimit, now: Int64, pinnedUS: Int64?) throws {
        try fleet?.lease(digest, limit, now: now, nowUS: pinnedUS)
    }
}
