#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Recognises the published token format `<prefix><p|s>_<R><C>` in bytes: `<prefix>` 2..8 lowercase
/// letters (or exactly the store's), `<R>` 27..64 base62 characters, `<C>` the six-digit base62
/// CRC-32 (zlib's) of everything before it. Only a valid checksum counts, so a random match is a
/// one-in-four-billion event; what precedes or follows a token does not matter.
struct TokenMatcher: Sendable {
    static let minimumRandom = 27
    static let maximumRandom = 64
    static let checksumLength = 6
    static let maximumPrefix = 8
    /// The most bytes a token can span after its '_': the random part and the checksum.
    static let maximumBody = maximumRandom + checksumLength
    /// The most bytes a token can span before its '_': the prefix and the kind letter.
    static let maximumHead = maximumPrefix + 1

    /// The store's prefix, or nil for any 2..8 lowercase letters.
    let fixedPrefix: [UInt8]?

    init(prefix: String?) { fixedPrefix = prefix.map { Array($0.utf8) } }

    static let crcTable: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        return crc
    }

    /// base62 digit values, 0xFF for bytes that are not digits.
    static let digitValue: [UInt8] = (0..<256).map { byte in
        switch byte {
        case 0x30...0x39: UInt8(byte - 0x30)
        case 0x41...0x5A: UInt8(byte - 0x41 + 10)
        case 0x61...0x7A: UInt8(byte - 0x61 + 36)
        default: 0xFF
        }
    }

    @inline(__always) static func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }

    /// The token whose '_' is at `underscore`, as the byte range [start, end), if there is one. Reads
    /// at most `maximumHead` bytes before and `maximumBody` bytes after `underscore`, within `count`.
    func match(_ bytes: UnsafePointer<UInt8>, count: Int, underscore u: Int) -> (start: Int, end: Int)? {
        guard u >= 3, bytes[u - 1] == UInt8(ascii: "p") || bytes[u - 1] == UInt8(ascii: "s") else { return nil }
        let minimumRun = Self.minimumRandom + Self.checksumLength
        let runEnd = min(count, u + 1 + Self.maximumBody)
        var j = u + 1
        Self.digitValue.withUnsafeBufferPointer { digits in
            while j < runEnd, digits[Int(bytes[j])] != 0xFF { j += 1 }
        }
        let run = j - (u + 1)
        guard run >= minimumRun else { return nil }

        if let fixed = fixedPrefix {
            let start = u - 1 - fixed.count
            guard start >= 0 else { return nil }
            for index in 0..<fixed.count where bytes[start + index] != fixed[index] { return nil }
            return check(bytes, start: start, underscore: u, run: run)
        }
        var letters = 0
        while letters < Self.maximumPrefix, u - 2 - letters >= 0, Self.isLower(bytes[u - 2 - letters]) { letters += 1 }
        guard letters >= 2 else { return nil }
        for length in 2...letters {
            if let found = check(bytes, start: u - 1 - length, underscore: u, run: run) { return found }
        }
        return nil
    }

    /// Whether bytes[start...] is a token with a valid checksum, its random part 27..64 long and within
    /// the `run` of base62 digits after the '_'; the shortest such token wins.
    private func check(_ bytes: UnsafePointer<UInt8>, start: Int, underscore u: Int, run: Int) -> (start: Int, end: Int)? {
        Self.crcTable.withUnsafeBufferPointer { table in
            Self.digitValue.withUnsafeBufferPointer { digits in
                var crc: UInt32 = 0xFFFF_FFFF
                for index in start...u { crc = table[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8) }
                let body = u + 1
                let longest = min(Self.maximumRandom, run - Self.checksumLength)
                var n = 0
                while n <= longest {
                    if n >= Self.minimumRandom {
                        var stated: UInt64 = 0
                        for index in 0..<Self.checksumLength { stated = stated * 62 + UInt64(digits[Int(bytes[body + n + index])]) }
                        if stated == UInt64(crc ^ 0xFFFF_FFFF) { return (start, body + n + Self.checksumLength) }
                    }
                    if n < longest { crc = table[Int((crc ^ UInt32(bytes[body + n])) & 0xFF)] ^ (crc >> 8) }
                    n += 1
                }
                return nil
            }
        }
    }
}

/// A token found in a stream: the line it starts on and its bytes (kept in memory only, never printed).
struct Finding {
    var line: Int
    var secret: [UInt8]
    var prefixLength: Int

    /// Exactly the first len(prefix)+6 characters, as the library's "hint".
    var hint: String { String(decoding: secret.prefix(prefixLength + 6), as: UTF8.self) }
    var kindWord: String { secret[prefixLength] == UInt8(ascii: "p") ? "personal" : "service" }
}

/// Reads streams in chunks and reports the tokens in them. One instance reuses one buffer.
final class StreamScanner {
    static let binaryProbe = 8192
    private static let capacity = 1 << 20

    let matcher: TokenMatcher
    private let buffer: UnsafeMutablePointer<UInt8>

    init(matcher: TokenMatcher) {
        self.matcher = matcher
        buffer = .allocate(capacity: Self.capacity)
    }

    deinit {
        memset(buffer, 0, Self.capacity)
        buffer.deallocate()
    }

    enum Outcome {
        case scanned(bytes: Int)
        case binary(bytes: Int)
    }

    struct ReadError: Error {
        let errno: Int32
        var message: String { String(cString: strerror(errno)) }
    }

    @inline(__always) private static func newlines(_ start: UnsafePointer<UInt8>, _ count: Int) -> Int {
        var lines = 0
        for byte in UnsafeBufferPointer(start: start, count: count) where byte == 0x0A { lines += 1 }
        return lines
    }

    /// Scans what `fd` yields until end of file. A stream with a NUL byte in its first 8 KiB is
    /// binary: nothing is reported for it, and it is not read further.
    func scan(fd: Int32, found: (Finding) -> Void) throws(ReadError) -> Outcome {
        let capacity = Self.capacity
        var filled = 0
        var resume = 0           // where the search for the next '_' starts
        var line = 1             // the line number at `lineMark`
        var lineMark = 0
        var total = 0
        var probed = false
        var atEnd = false
        defer { memset(buffer, 0, filled) }
        while true {
            // The first 8 KiB are read alone, so that a binary file costs one small read.
            let request = probed ? capacity - filled : Self.binaryProbe - filled
            let count = read(fd, buffer + filled, request)
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(errno: errno)
            }
            if count == 0 { atEnd = true }
            filled += count
            total += count
            if !probed {
                if !atEnd, filled < Self.binaryProbe { continue }
                probed = true
                if memchr(buffer, 0, filled) != nil { return .binary(bytes: total) }
            }
            if !atEnd, filled < capacity { continue }
            // '_' positions below `limit` have every byte a token could span after them.
            let limit = atEnd ? filled : filled - TokenMatcher.maximumBody - 1
            var position = resume
            while position < limit {
                guard let hit = memchr(buffer + position, Int32(UInt8(ascii: "_")), limit - position) else { break }
                let underscore = buffer.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if let (start, end) = matcher.match(buffer, count: filled, underscore: underscore) {
                    line += Self.newlines(buffer + lineMark, start - lineMark)
                    lineMark = start
                    let prefixLength = underscore - 1 - start
                    found(Finding(line: line, secret: Array(UnsafeBufferPointer(start: buffer + start, count: end - start)),
                                  prefixLength: prefixLength))
                    position = end
                } else {
                    position = underscore + 1
                }
            }
            resume = max(position, limit)
            if atEnd { return .scanned(bytes: total) }
            // Keep what the next round needs: the bytes after `resume` and the longest head before it.
            let keep = max(0, resume - TokenMatcher.maximumHead)
            if keep > lineMark {
                line += Self.newlines(buffer + lineMark, keep - lineMark)
                lineMark = keep
            }
            memmove(buffer, buffer + keep, filled - keep)
            filled -= keep
            resume -= keep
            lineMark -= keep
        }
    }
}
