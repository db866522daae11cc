#if canImport(Glibc)
import Glibc
#endif

/// `ta_record_usage`'s counts, kept in memory as cheaply as a verification's: per thread shard, keyed
/// by the token id held inline, with the operation name interned, so that recording a request of a
/// token counted before takes one uncontended lock and one lookup, and allocates nothing. The flush
/// turns them into the per-operation and per-status counts of `PendingUsage`.
///
/// Each token's entry keeps the proof that the token existed when it was last counted, which the
/// caller checks again before counting the next request (`stillHolds`), so that an id deleted
/// meanwhile is never counted.
final class OperationCounts: Sendable {
    /// One per thread hash, like the usage queues: two threads rarely share a lock.
    private let shards = ShardedLocked<Shard>(count: UsageRecorder.threadShards) { Shard() }
    /// Interned names a shard keeps across flushes; beyond it, it starts afresh at the next drain.
    static let namesPerShard = 4096

    private struct Shard {
        var names = OperationNames()
        /// Where each token's counts are in `counts` (an array element is changed in place; a
        /// dictionary value through optional chaining costs an allocation per change).
        var slots: [TokenIDKey: Int] = [:]
        var counts: [TokenCounts] = []
    }

    /// Counts a request of `token` if this thread's shard counted one since the last drain and the
    /// proof kept then still holds (`stillHolds`). False: not counted.
    func recordIfProven(_ token: TokenIDKey, operation: UnsafeRawBufferPointer, status: Int, day: Int64,
                        stillHolds: (ExistenceProof) throws -> Bool) throws -> Bool {
        try shards.withShard(UsageRecorder.threadShard) { shard in
            guard let slot = shard.slots[token] else { return false }
            let key = TokenCounts.key(day: day, operation: shard.names.index(of: operation), status: status)
            return try shard.counts[slot].add(key, ifProven: stillHolds)
        }
    }

    /// Counts a request of `token`, which `proof` shows to exist.
    func record(_ token: TokenIDKey, proof: ExistenceProof?, operation: UnsafeRawBufferPointer, status: Int, day: Int64) {
        shards.withShard(UsageRecorder.threadShard) { shard in
            let key = TokenCounts.key(day: day, operation: shard.names.index(of: operation), status: status)
            if let slot = shard.slots[token] {
                shard.counts[slot].add(key, proof: proof)
            } else {
                shard.slots[token] = shard.counts.count
                shard.counts.append(TokenCounts(token, key: key, proof: proof))
            }
        }
    }

    /// Moves every count into `batch`: per token and day, once under the operation's name and once
    /// under the status. The strings are built after each shard's lock is released.
    func drain(into batch: inout PendingUsage) {
        for index in 0..<shards.count {
            let (tokens, names) = shards.withShard(index) { shard -> ([TokenCounts], [[UInt8]]) in
                defer {
                    shard.slots = [:]
                    shard.counts = []
                    if shard.names.count > Self.namesPerShard { shard.names = OperationNames() }
                }
                return (shard.counts, shard.names.texts)
            }
            for counts in tokens {
                var usage = TokenUsage()
                counts.forEach { key, count in
                    let (day, operation, status) = TokenCounts.fields(of: key)
                    guard names.indices.contains(operation) else { return }
                    let name = String(decoding: names[operation], as: UTF8.self)
                    usage.counts[UsageCountKey(day: day, dimension: .operation, key: name), default: 0] += count
                    usage.counts[UsageCountKey(day: day, dimension: .status, key: String(status)), default: 0] += count
                }
                batch.tokens[counts.token.string, default: TokenUsage()].merge(usage)
            }
        }
    }
}

/// Why a token was known to exist when a request of it was counted.
enum ExistenceProof {
    /// The verification index held this digest: it still exists while the index holds it.
    case indexed(Digest)
    /// The database had it when the commit fingerprint was this: it still exists while nothing has
    /// been committed since, anywhere.
    case unchangedSince(CommitFingerprint)
}

/// One token's requests in a shard since the last drain, per (UTC day, operation, status) packed in
/// one word: the first such key inline (a token's requests mostly share one), others in a dictionary.
struct TokenCounts {
    let token: TokenIDKey
    private var proof: ExistenceProof?
    private var firstKey: UInt64
    private var firstCount: Int64 = 1
    private var others: [UInt64: Int64] = [:]

    /// The counts of a token's first request.
    init(_ token: TokenIDKey, key: UInt64, proof: ExistenceProof?) {
        self.token = token
        self.proof = proof
        firstKey = key
    }

    static func key(day: Int64, operation: Int32, status: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: day) << 32 | UInt64(UInt32(bitPattern: operation) & 0x3F_FFFF) << 10
            | UInt64(truncatingIfNeeded: status) & 0x3FF
    }

    static func fields(of key: UInt64) -> (day: Int64, operation: Int, status: Int) {
        (Int64(truncatingIfNeeded: Int32(truncatingIfNeeded: key >> 32)), Int(key >> 10 & 0x3F_FFFF), Int(key & 0x3FF))
    }

    mutating func add(_ key: UInt64, proof: ExistenceProof?) {
        if let proof { self.proof = proof }
        if firstKey == key {
            firstCount += 1
        } else {
            others[key, default: 0] += 1
        }
    }

    /// Adds a request if the proof kept still holds; false otherwise.
    mutating func add(_ key: UInt64, ifProven stillHolds: (ExistenceProof) throws -> Bool) rethrows -> Bool {
        guard let proof, try stillHolds(proof) else { return false }
        add(key, proof: nil)
        return true
    }

    func forEach(_ body: (UInt64, Int64) -> Void) {
        body(firstKey, firstCount)
        for (key, count) in others { body(key, count) }
    }
}

/// Operation names interned to small integers: looked up by a 64-bit hash of their bytes and
/// confirmed byte for byte, so that a lookup allocates nothing.
struct OperationNames {
    private var byHash: [UInt64: Int32] = [:]
    /// Names whose hash an earlier name already had (never seen in practice; kept correct anyway).
    private var collided: [Int32] = []
    private(set) var texts: [[UInt8]] = []
    /// The name asked for last: a gateway's requests often repeat one.
    private var last: Int32 = -1

    var count: Int { texts.count }

    mutating func index(of bytes: UnsafeRawBufferPointer) -> Int32 {
        if last >= 0, Self.equal(texts[Int(last)], bytes) { return last }
        last = lookup(bytes)
        return last
    }

    private mutating func lookup(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        let hash = Self.hash(bytes)
        if let index = byHash[hash], Self.equal(texts[Int(index)], bytes) { return index }
        for index in collided where Self.equal(texts[Int(index)], bytes) { return index }
        let index = Int32(truncatingIfNeeded: texts.count)
        texts.append(Array(bytes))
        if byHash[hash] == nil { byHash[hash] = index } else { collided.append(index) }
        return index
    }

    /// FNV-1a, 64 bits.
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    private static func equal(_ text: [UInt8], _ bytes: UnsafeRawBufferPointer) -> Bool {
        text.withUnsafeBytes { stored in
            guard stored.count == bytes.count else { return false }
            guard let a = stored.baseAddress, let b = bytes.baseAddress else { return true }
            return memcmp(a, b, stored.count) == 0
        }
    }
}

/// A token id held inline, as a dictionary key that costs no allocation. Token ids fit: the index
/// holds them in `TokenID.capacity` bytes too.
struct TokenIDKey: Hashable {
    static let capacity = 24
    private var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private var length: UInt8 = 0

    /// nil when `bytes` are longer than any token id.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.capacity else { return nil }
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) }
        length = UInt8(bytes.count)
    }

    init?(_ id: TokenID) {
        guard let key = id.withBytes({ TokenIDKey($0) }) else { return nil }
        self = key
    }

    var string: String { withUnsafeBytes(of: words) { String(decoding: $0.prefix(Int(length)), as: UTF8.self) } }

    /// The key's shard in a `ShardedLocked` (which keeps the low bits): a multiplicative hash of
    /// its words.
    var shard: Int {
        let mixed = (words.0 ^ words.1 &* 31 ^ words.2 &* 961) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> 40)
    }

    static func == (a: TokenIDKey, b: TokenIDKey) -> Bool {
        a.length == b.length && a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(length)
    }

    /// Dictionaries of these keys hash them with a few multiplications instead of SipHash: the keys
    /// are token ids the library made (random characters), never chosen to collide.
    func _rawHashValue(seed: Int) -> Int {
        var h = UInt64(truncatingIfNeeded: seed) ^ UInt64(length) << 56
        h = (h ^ words.0) &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ words.1 ^ h >> 29) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ words.2 ^ h >> 32) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: h ^ h >> 31)
    }
}
