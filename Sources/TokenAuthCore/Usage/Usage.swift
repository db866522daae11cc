import Synchronization
#if canImport(Glibc)
import Glibc
#endif

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
    private let queues = ShardedLocked<[Digest]>(count: threadShards) { [] }
    static let threadShards = 64
    /// The digest of each token counted through the index, or whose digest `ta_record_usage` read
    /// from the database, by id (a token's digest never changes), so that `ta_record_usage` asks the
    /// index rather than the database whether the token still exists. Sharded by id; a full shard
    /// is emptied (its tokens come back at their next counted use or database read).
    private let known = ShardedLocked<[TokenIDKey: Digest]>(count: 64) { [:] }
    static let knownPerShard = 4096
    /// Whether this handle's `ta_record_usage` was ever asked for a digest: until then, `known` is
    /// not kept. Keeping it is a random write into megabytes at every token's first use after a
    /// drain (0.2 µs per verification with a million tokens in use), which a host that only
    /// verifies never reads.
    private let knownWanted = Atomic<Bool>(false)
    /// What `ta_record_usage` counted.
    private let operations = OperationCounts()

    /// Queues an indexed token whose entry counted its first use since the last drain.
    func enqueue(_ digest: Digest, id: TokenID) {
        queues.withShard(Self.threadShard) { $0.append(digest) }
        guard knownWanted.load(ordering: .relaxed), let key = TokenIDKey(id) else { return }
        learn(key, digest: digest)
    }

    /// Keeps the digest of the token `key` for `knownDigest`.
    func learn(_ key: TokenIDKey, digest: Digest) {
        known.withShard(key.shard) { byID in
            if byID.count >= Self.knownPerShard, byID[key] == nil { byID.removeAll(keepingCapacity: true) }
            byID[key] = digest
        }
    }

    /// The digest of the token `id`, if it was learnt (`learn`) since this was first asked: the
    /// first call starts keeping them.
    func knownDigest(_ id: TokenIDKey) -> Digest? {
        if !knownWanted.load(ordering: .relaxed) { knownWanted.store(true, ordering: .relaxed) }
        return known.withShard(id.shard) { $0[id] }
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

    /// Counts what the gateway did with a request of the token `id` (`ta_record_usage`), if this
    /// thread counted one of it since the last drain and the proof of its existence kept then still
    /// holds (`stillHolds`); false otherwise.
    func recordOperationIfProven(_ id: TokenIDKey, operation: UnsafeRawBufferPointer, httpStatus: Int, at now: Int64,
                                 stillHolds: (ExistenceProof) throws -> Bool) throws -> Bool {
        try operations.recordIfProven(id, operation: operation, status: httpStatus, day: UTCDay.day(of: now),
                                      stillHolds: stillHolds)
    }

    /// Counts what the gateway did with a request of the token `id`, which `proof` shows to exist.
    func recordOperation(_ id: TokenIDKey, proof: ExistenceProof?, operation: UnsafeRawBufferPointer, httpStatus: Int,
                         at now: Int64) {
        operations.record(id, proof: proof, operation: operation, status: httpStatus, day: UTCDay.day(of: now))
    }

    /// Takes everything recorded so far: the buffer, and the counts of the queued index entries.
    func drain(from index: TokenIndex) -> PendingUsage {
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
        operations.drain(into: &batch)
        return batch
    }

    /// The calling thread's shard of `threadShards`: its thread id's top 6 bits after a
    /// multiplicative hash.
    static var threadShard: Int {
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
