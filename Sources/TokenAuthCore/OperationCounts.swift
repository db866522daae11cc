#if canImport(Glibc)
import Glibc
#endif

/// `ta_record_usage`'s counts, kept in memory as cheaply as a verification's: per thread shard, keyed
/// by plain values (the token id inline, the operation name interned), so that recording takes one
/// uncontended lock and allocates nothing once an operation name has been seen. The flush turns them
/// into the per-operation and per-status counts of `PendingUsage`.
final class OperationCounts: Sendable {
    /// One per thread hash, like the usage queues: two threads rarely share a lock.
    private let shards = ShardedLocked<Shard>(count: UsageRecorder.threadShards) { Shard() }
    /// Interned names a shard keeps across flushes; beyond it, it starts afresh at the next drain.
    static let namesPerShard = 4096

    private struct Shard {
        var names = OperationNames()
        var counts: [Key: Int64] = [:]
    }

    private struct Key: Hashable {
        var token: TokenIDKey
        var day: Int64
        var operation: Int32
        var status: Int32
    }

    /// Counts one request of the token `token`, named `operation` (valid UTF-8), answered `status`.
    func record(_ token: TokenIDKey, operation: UnsafeRawBufferPointer, status: Int, day: Int64) {
        shards.withShard(UsageRecorder.threadShard) { shard in
            let key = Key(token: token, day: day, operation: shard.names.index(of: operation),
                          status: Int32(truncatingIfNeeded: status))
            shard.counts[key, default: 0] += 1
        }
    }

    /// Moves every count into `batch`: per token and day, once under the operation's name and once
    /// under the status. The strings are built after each shard's lock is released.
    func drain(into batch: inout PendingUsage) {
        for index in 0..<shards.count {
            let (counts, names) = shards.withShard(index) { shard -> ([Key: Int64], [[UInt8]]) in
                defer {
                    shard.counts = [:]
                    if shard.names.count > Self.namesPerShard { shard.names = OperationNames() }
                }
                return (shard.counts, shard.names.texts)
            }
            for (key, count) in counts where names.indices.contains(Int(key.operation)) {
                let name = String(decoding: names[Int(key.operation)], as: UTF8.self)
                let id = key.token.string
                batch.tokens[id, default: TokenUsage()].counts[UsageCountKey(day: key.day, dimension: .operation, key: name), default: 0] += count
                batch.tokens[id, default: TokenUsage()].counts[UsageCountKey(day: key.day, dimension: .status, key: String(key.status)), default: 0] += count
            }
        }
    }
}

/// Operation names interned to small integers: looked up by a 64-bit hash of their bytes and
/// confirmed byte for byte, so that a lookup allocates nothing.
struct OperationNames {
    private var byHash: [UInt64: Int32] = [:]
    /// Names whose hash an earlier name already had (never seen in practice; kept correct anyway).
    private var collided: [Int32] = []
    private(set) var texts: [[UInt8]] = []

    var count: Int { texts.count }

    mutating func index(of bytes: UnsafeRawBufferPointer) -> Int32 {
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

    /// Which of `count` shards the key belongs to (a multiplicative hash of its words).
    func shard(of count: Int) -> Int {
        let mixed = (words.0 ^ words.1 &* 31 ^ words.2 &* 961) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> 40) % count
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
}
