import Synchronization

/// A blocked Bloom filter over the digests of every token in the database, so that a flood of
/// never-seen guesses is answered "unknown" from memory instead of one SQLite query per guess.
/// "Not in the filter" is certain once the filter is `ready`: it was filled from a snapshot of all
/// digests and, since it was installed, with every digest the change log reported (tokens created by
/// any process). Bits are only ever set, so a deleted token only costs a false positive.
/// Each digest touches one 64-byte block (one cache line): six bits picked from the digest itself,
/// which is already uniformly random. (`@unchecked`: the words are atomics behind a pointer.)
final class DigestFilter: @unchecked Sendable {
    private static let wordsPerBlock = 8
    private static let bitsPerKey = 16
    private static let probes = 6

    /// The number of digests this filter was sized for (at `bitsPerKey`); past twice as many, the
    /// false-positive rate climbs and the index asks for a bigger one.
    let plannedKeys: Int
    private let blockMask: UInt64
    private let words: UnsafeMutablePointer<Atomic<UInt64>>
    private let wordCount: Int
    private let inserted = Atomic<Int>(0)
    /// 0 while being filled, 1 ready, 2 withdrawn (the change log no longer reaches back to when it
    /// was installed, so creations may be missing from it).
    private let state = Atomic<Int>(0)

    /// A filter for about `keys` digests (at least 4,096).
    init(keys: Int) {
        let wanted = max(keys, 4096)
        var blocks = 1
        while blocks * 512 < wanted.multipliedReportingOverflow(by: Self.bitsPerKey).partialValue, blocks < 1 << 21 { blocks *= 2 }
        plannedKeys = blocks * 512 / Self.bitsPerKey
        blockMask = UInt64(blocks - 1)
        wordCount = blocks * Self.wordsPerBlock
        words = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: wordCount)
        for index in 0..<wordCount { (words + index).initialize(to: Atomic(0)) }
    }

    deinit {
        words.deinitialize(count: wordCount)
        words.deallocate()
    }

    var isReady: Bool { state.load(ordering: .acquiring) == 1 }

    /// Whether more digests went in than the filter was sized for, twice over.
    var isOverfull: Bool { inserted.load(ordering: .relaxed) > plannedKeys * 2 }

    /// Ready for lookups, unless it was withdrawn meanwhile.
    func markReady() { _ = state.compareExchange(expected: 0, desired: 1, ordering: .releasing) }

    /// Never to be trusted again.
    func withdraw() { state.store(2, ordering: .releasing) }

    func insert(_ digest: Digest) {
        let base = block(of: digest)
        var bits = digest.w3
        for _ in 0..<Self.probes {
            words[base + Int(bits & 7)].bitwiseOr(1 << ((bits >> 3) & 63), ordering: .relaxed)
            bits >>= 9
        }
        inserted.add(1, ordering: .relaxed)
    }

    /// False only if `digest` was certainly never inserted.
    func mayContain(_ digest: Digest) -> Bool {
        let base = block(of: digest)
        var bits = digest.w3
        for _ in 0..<Self.probes {
            guard words[base + Int(bits & 7)].load(ordering: .relaxed) & (1 << ((bits >> 3) & 63)) != 0 else { return false }
            bits >>= 9
        }
        return true
    }

    private func block(of digest: Digest) -> Int { Int(truncatingIfNeeded: digest.w2 & blockMask) &* Self.wordsPerBlock }
}
