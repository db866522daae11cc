/// Resource names and the patterns of qualified grants (`tickets:read@project/42`): `/`-separated
/// segments, each 1...64 bytes of `[A-Za-z0-9._:-]`; a pattern's segment may also be a lone `*`,
/// which matches any one whole segment. A pattern is at most 200 bytes, a name at most 1,024.
/// Comparisons are by bytes: case-sensitive.
public enum ResourcePattern {
    public static let maximumPatternBytes = 200
    public static let maximumNameBytes = 1024
    static let maximumSegmentBytes = 64
    private static let slash = UInt8(ascii: "/")
    private static let star = UInt8(ascii: "*")

    /// Whether `bytes` are a well-formed pattern (`wildcards`) or resource name (not). Eight bytes
    /// or more are checked a word at a time (`wordwiseWellFormed`), then byte by byte if a word
    /// holds something other than segment bytes and `/`.
    public static func isWellFormed(_ bytes: UnsafeRawBufferPointer, wildcards: Bool) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty,
              bytes.count <= (wildcards ? maximumPatternBytes : maximumNameBytes) else { return false }
        if bytes.count >= 8, let answer = wordwiseWellFormed(base, count: bytes.count) { return answer }
        var segmentStart = 0
        var starred = false
        for index in 0..<bytes.count {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if isSegmentByte(byte) { continue }
            if byte == slash {
                guard isWholeSegment(length: index - segmentStart, starred: starred) else { return false }
                segmentStart = index + 1
                starred = false
            } else if byte == star, wildcards {
                starred = true
            } else {
                return false
            }
        }
        return isWholeSegment(length: bytes.count - segmentStart, starred: starred)
    }

    /// A segment is 1...64 bytes, and one with a `*` is that `*` alone.
    @inline(__always)
    private static func isWholeSegment(length: Int, starred: Bool) -> Bool {
        starred ? length == 1 : length > 0 && length <= maximumSegmentBytes
    }

    /// The same for text.
    public static func isWellFormed(_ text: String, wildcards: Bool) -> Bool {
        var text = text
        return text.withUTF8 { isWellFormed(UnsafeRawBufferPointer($0), wildcards: wildcards) }
    }

    /// Whether `pattern` covers the resource `name` (both well-formed): segment by segment over the
    /// pattern's length, each pattern segment is `*` or equal to the name's; the name may go deeper.
    @inline(__always)
    static func covers(_ pattern: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer) -> Bool {
        var p = 0
        var n = 0
        while p < pattern.count {
            guard n < name.count else { return false }
            let pEnd = segmentEnd(pattern, from: p)
            let nEnd = segmentEnd(name, from: n)
            let wildcard = pEnd - p == 1 && pattern[p] == star
            if !wildcard, !equal(pattern, p, pEnd, name, n, nEnd) { return false }
            p = pEnd + 1
            n = nEnd + 1
        }
        return true
    }

    /// Whether every name `inner` covers is covered by `outer` (both well-formed patterns): `outer`
    /// has no more segments, and each is `*` or equal to `inner`'s — a `*` in `inner` needs a `*`
    /// in `outer`. That is `covers` with `inner` read as a name: its `*` segments are literal there,
    /// equal only to an `*`, and a wildcard of `outer` matches them as any other segment.
    static func contains(_ outer: UnsafeRawBufferPointer, _ inner: UnsafeRawBufferPointer) -> Bool {
        covers(outer, name: inner)
    }

    /// `contains` for text.
    static func contains(_ outer: String, _ inner: String) -> Bool {
        var outer = outer, inner = inner
        return outer.withUTF8 { o in inner.withUTF8 { contains(UnsafeRawBufferPointer(o), UnsafeRawBufferPointer($0)) } }
    }

    @inline(__always)
    private static func segmentEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var end = start
        while end < bytes.count, bytes[end] != slash { end += 1 }
        return end
    }

    @inline(__always)
    private static func equal(_ a: UnsafeRawBufferPointer, _ aStart: Int, _ aEnd: Int,
                              _ b: UnsafeRawBufferPointer, _ bStart: Int, _ bEnd: Int) -> Bool {
        guard aEnd - aStart == bEnd - bStart else { return false }
        var k = 0
        while k < aEnd - aStart {
            if a[aStart + k] != b[bStart + k] { return false }
            k += 1
        }
        return true
    }

    /// `[A-Za-z0-9._:-]`: the word-wise class (`segmentBytesOrSlashes`) of a word that holds only
    /// this byte, without `/`, so that the class has one definition.
    @inline(__always)
    private static func isSegmentByte(_ byte: UInt8) -> Bool {
        byte != slash && segmentBytesOrSlashes(UInt64(byte)) & 0x80 != 0
    }
}
