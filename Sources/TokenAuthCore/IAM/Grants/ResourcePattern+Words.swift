/// The well-formedness check eight bytes at a time, which every verification against a resource
/// pays: each word is classified, its `/` bytes found, and its empty segments and segment
/// lengths checked with a few dozen instructions and no branch on its contents. Words are read
/// little-endian (the input's byte `i` is bits `8i..<8i+8`), whatever the machine's order.
extension ResourcePattern {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080
    private static let lowBits: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

    /// Whether the `count` (at least 8) bytes at `base` are well-formed, when every byte is a
    /// segment byte or `/`; nil when one is neither (a `*`, or a byte no name holds), for the
    /// byte-by-byte check to decide.
    static func wordwiseWellFormed(_ base: UnsafeRawPointer, count: Int) -> Bool? {
        var foreign: UInt64 = 0 // high bits of bytes that are neither segment bytes nor `/`
        var empty: UInt64 = 0   // high bits of `/` bytes that end an empty segment
        var longest = 0         // bytes of the longest segment ended by a `/`
        var run = 0             // bytes of the segment in progress
        // A `/` before the first byte, so that a leading `/` ends an empty segment.
        var slashBefore: UInt64 = 0x80
        var seen = 0
        while seen < count {
            // The last word ends at the last byte, overlapping bytes already seen.
            let at = min(seen, count &- 8)
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            foreign |= ~segmentBytesOrSlashes(word) & highBits
            let slashes = slashBits(word)
            // A `/` right after a `/`; the byte before an overlapping word's first is in the word.
            empty |= slashes & (slashes << 8 | (at == seen ? slashBefore : 0))
            let fresh = slashes & (UInt64.max << UInt64(8 &* (seen &- at)))
            if fresh == 0 {
                run &+= at &+ 8 &- seen
            } else {
                longest = max(longest, run &+ fresh.trailingZeroBitCount / 8 &- (seen &- at))
                run = fresh.leadingZeroBitCount / 8
            }
            slashBefore = slashes >> 56
            seen = at &+ 8
        }
        guard foreign == 0 else { return nil }
        // A trailing `/` leaves an empty last segment (`run` 0).
        return empty == 0 && longest <= maximumSegmentBytes && run > 0 && run <= maximumSegmentBytes
    }

    /// The high bit of each byte of `word` that is in `[A-Za-z0-9._:-]` or is `/`: ASCII, and in
    /// the range `-` … `:` (which holds `/`), or `_`, or a letter: a byte whose value with bit 5
    /// set (`| 0x20`, lower case) is in `a` … `z` is exactly a letter of either case. A byte with
    /// its high bit set is in none (whatever its sums carried into its neighbours).
    @inline(__always)
    static func segmentBytesOrSlashes(_ word: UInt64) -> UInt64 {
        let inRanges = bytes(of: word, from: 0x2D, through: 0x3A) | bytes(of: word, from: 0x5F, through: 0x5F)
            | bytes(of: word | ones &* 0x20, from: 0x61, through: 0x7A)
        return inRanges & ~word
    }

    /// The high bit of each byte of `word` that lies in `low...high`, for bytes without their
    /// high bit: adding `0x80 - low` carries into a byte's high bit exactly when the byte is at
    /// least `low`, and adding `0x7F - high` exactly when it is above `high`; no such sum leaves
    /// its byte.
    @inline(__always)
    private static func bytes(of word: UInt64, from low: UInt8, through high: UInt8) -> UInt64 {
        let atLeastLow = word &+ ones &* UInt64(0x80 &- low)
        let aboveHigh = word &+ ones &* UInt64(0x7F &- high)
        return atLeastLow & ~aboveHigh & highBits
    }

    /// The high bit of each byte of `word` that is `/` (exact for bytes without their high bit:
    /// the zero-byte test on `word` with the slashes turned to zero).
    @inline(__always)
    private static func slashBits(_ word: UInt64) -> UInt64 {
        let zeroWhereSlash = word ^ (ones &* UInt64(UInt8(ascii: "/")))
        return ~(((zeroWhereSlash & lowBits) &+ lowBits) | zeroWhereSlash | lowBits)
    }
}
