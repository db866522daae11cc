#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Counts of one token waiting to be written.
struct TokenUsage {
    var uses: Int64 = 0
    var denied: Int64 = 0
    var lastUsedAt: Int64 = 0
    var days: [Int64: DayCounts] = [:]
    var counts: [UsageCountKey: Int64] = [:]

    struct DayCounts {
        var uses: Int64 = 0
        var denied: Int64 = 0
    }

    /// The uses, denials and last use alone (no per-day or per-key counts).
    var counters: TokenUsage {
        TokenUsage(uses: uses, denied: denied, lastUsedAt: lastUsedAt)
    }

    mutating func merge(_ other: TokenUsage) {
        uses += other.uses
        denied += other.denied
        lastUsedAt = max(lastUsedAt, other.lastUsedAt)
        for (day, counts) in other.days {
            days[day, default: DayCounts()].uses += counts.uses
            days[day, default: DayCounts()].denied += counts.denied
        }
        counts.merge(other.counts, uniquingKeysWith: +)
    }
}

struct UsageCountKey: Hashable {
    var day: Int64
    var dimension: UsageDimension
    var key: String
}

/// Denials of one token with one status in one UTC minute: one `verify.denied` audit entry.
struct DenialKey: Hashable {
    var tokenID: String
    var status: Status
    var minute: Int64
}

struct DenialAggregate {
    var subject: String
    var missingScope: String?
    var count: Int64
    var firstAt: Int64
    var lastAt: Int64

    mutating func merge(_ other: DenialAggregate) {
        count += other.count
        firstAt = min(firstAt, other.firstAt)
        lastAt = max(lastAt, other.lastAt)
        if missingScope == nil { missingScope = other.missingScope }
    }
}

/// Everything recorded in memory since the last flush.
struct PendingUsage {
    var tokens: [String: TokenUsage] = [:]
    var denials: [DenialKey: DenialAggregate] = [:]

    var isEmpty: Bool { tokens.isEmpty && denials.isEmpty }

    mutating func merge(_ other: PendingUsage) {
        for (id, usage) in other.tokens { tokens[id, default: TokenUsage()].merge(usage) }
        for (key, denial) in other.denials {
            if denials[key] == nil { denials[key] = denial } else { denials[key]?.merge(denial) }
        }
    }
}

/// The in-memory usage buffer of a store handle. Successful verifications of indexed tokens are
/// counted in the index entries themselves; this holds the queue of tokens that have counts there,
/// and everything else (denials, operations, counts of tokens that left the index). Recording takes
/// locks that no database write holds; `drain` hands the batch to the flusher.
final class UsageRecorder: Sendable {
    private let pending = Locked(PendingUsage())
    /// Digests of the indexed tokens counted since the last drain, in 64 queues: a verifying thread
    /// appends to the one its thread id hashes to, so two threads rarely take the same lock (a single
    /// queue's lock moved between their cores on every first use after a flush), and each queue is
    /// written sequentially (a queue per index shard took a cache miss per append).
    private let queues = ShardedLocked<[Digest]>(count: 64) { [] }
    /// The digests of the first `recentLimit` indexed tokens counted since the last drain, by token
    /// id; `recentCount` mirrors its size, so that once it is full, verifications skip the lock.
    private let recent = Locked<[String: Digest]>([:])
    private let recentCount = Atomic<Int>(0)
    static let recentLimit = 4096

    /// Queues an indexed token whose entry counted its first use since the last drain.
    func enqueue(_ digest: Digest, id: TokenID) {
        queues.withShard(Self.queueOfThisThread) { $0.append(digest) }
        guard recentCount.load(ordering: .relaxed) < Self.recentLimit else { return }
        recent.withLock { byID in
            guard byID.count < Self.recentLimit else { return }
            byID[id.string] = digest
            recentCount.store(byID.count, ordering: .relaxed)
        }
    }

    /// Moves a token's counts into the buffer: it leaves the index, was never in it, or its counts
    /// belong to an earlier UTC day.
    func retire(_ entry: inout IndexedToken, names: (ScopeSet) -> [String]) {
        entry.isQueued = false
        guard let counts = entry.takeUsage(names: names) else { return }
        add(counts, tokenID: entry.id)
    }

    func add(_ counts: TokenUsage, tokenID: TokenID) {
        let key = tokenID.string
        pending.withLock { $0.tokens[key, default: TokenUsage()].merge(counts) }
    }

    func recordDenial(_ tokenID: String, status: Status, subject: String, missingScope: String?, at now: Int64) {
        let day = UTCDay.day(of: now)
        let key = DenialKey(tokenID: tokenID, status: status, minute: Self.minute(of: now))
        let denial = DenialAggregate(subject: subject, missingScope: missingScope, count: 1, firstAt: now, lastAt: now)
        pending.withLock { buffer in
            buffer.tokens[tokenID, default: TokenUsage()].denied += 1
            buffer.tokens[tokenID, default: TokenUsage()].days[day, default: TokenUsage.DayCounts()].denied += 1
            if buffer.denials[key] == nil { buffer.denials[key] = denial } else { buffer.denials[key]?.merge(denial) }
        }
    }

    func recordOperation(_ tokenID: String, operation: String, httpStatus: Int, at now: Int64) {
        let day = UTCDay.day(of: now)
        pending.withLock { buffer in
            buffer.tokens[tokenID, default: TokenUsage()].counts[UsageCountKey(day: day, dimension: .operation, key: operation), default: 0] += 1
            buffer.tokens[tokenID, default: TokenUsage()].counts[UsageCountKey(day: day, dimension: .status, key: String(httpStatus)), default: 0] += 1
        }
    }

    /// The digest of the token `id` if a successful verification of it was counted since the last
    /// drain, among the first `recentLimit` (so that `ta_record_usage` can ask the index rather
    /// than the database).
    func recentDigest(_ id: String) -> Digest? {
        recent.withLock { $0[id] }
    }

    /// Takes everything recorded so far: the buffer, and the counts of the queued index entries.
    func drain(from index: TokenIndex) -> PendingUsage {
        recent.withLock { byID in
            byID.removeAll(keepingCapacity: true)
            recentCount.store(0, ordering: .relaxed)
        }
        var digests: [Digest] = []
        queues.forEach { queue in
            digests.append(contentsOf: queue)
            queue.removeAll(keepingCapacity: true)
        }
        var batch = pending.withLock { buffer in
            defer { buffer = PendingUsage() }
            return buffer
        }
        index.takeUsage(of: digests, into: &batch)
        return batch
    }

    /// The calling thread's queue: its thread id's top 6 bits after a multiplicative hash.
    private static var queueOfThisThread: Int {
        Int(truncatingIfNeeded: (UInt64(pthread_self()) &* 0x9E37_79B9_7F4A_7C15) >> 58)
    }

    /// Puts back a batch that could not be written, so that nothing counted is lost.
    func restore(_ batch: PendingUsage) {
        pending.withLock { $0.merge(batch) }
    }

    static func minute(of ms: Int64) -> Int64 {
        let (q, r) = ms.quotientAndRemainder(dividingBy: 60_000)
        return r < 0 ? q - 1 : q
    }
}
