/// The public token format `<prefix><k>_<R><C>` (see the header): generation and offline checking.
struct TokenFormat: Sendable {
    static let randomLength = 32
    static let checksumLength = 6
    static let minimumRandomLength = 27
    static let maximumRandomLength = 64
    static let defaultPrefix = "tka"

    /// The prefix packed into a little-endian word (at most 8 bytes), its length, and the mask of its
    /// bytes: one comparison. Plain values only, so that copying a format counts no reference.
    private let prefixWord: UInt64
    private let prefixCount: Int
    private let prefixMask: UInt64
    /// The running CRC after "<prefix>p_" and after "<prefix>s_": the checksum of a token continues
    /// from there over its random part only.
    private let personalHeadCRC: UInt32
    private let serviceHeadCRC: UInt32
    /// `Base62.values`, read once here rather than through a lazy global on every check.
    private nonisolated(unsafe) let base62Values = Base62.values // immutable table

    init(prefix: String) {
        let prefix = Array(prefix.utf8.prefix(8))
        var word: UInt64 = 0
        for (index, byte) in prefix.enumerated() { word |= UInt64(byte) << UInt64(8 * index) }
        prefixWord = word
        prefixCount = prefix.count
        prefixMask = prefix.count >= 8 ? UInt64.max : (UInt64(1) << UInt64(8 * prefix.count)) - 1
        func headCRC(_ kind: TokenKind) -> UInt32 {
            (prefix + [kind.letter, UInt8(ascii: "_")]).withUnsafeBufferPointer { head in
                head.baseAddress.map { CRC32.update(0xFFFF_FFFF, $0, head.count) } ?? 0
            }
        }
        personalHeadCRC = headCRC(.personal)
        serviceHeadCRC = headCRC(.service)
    }

    /// The length of the public hint: prefix, kind letter, '_' and four random characters.
    var hintLength: Int { prefixCount + 6 }

    /// The prefix's bytes.
    var prefix: [UInt8] { withUnsafeBytes(of: prefixWord.littleEndian) { Array($0.prefix(prefixCount)) } }

    static func isValidPrefix(_ prefix: String) -> Bool {
        let bytes = Array(prefix.utf8)
        return (2...8).contains(bytes.count) && bytes.allSatisfy { $0 >= 0x61 && $0 <= 0x7A }
    }

    /// A new secret of `kind` around `random` (`randomLength` base62 characters from the CSPRNG).
    func secret(kind: TokenKind, random: ArraySlice<UInt8>) -> [UInt8] {
        var token = prefix
        token.append(kind.letter)
        token.append(UInt8(ascii: "_"))
        token.append(contentsOf: random)
        token.append(contentsOf: Base62.sixDigits(CRC32.checksum(token)))
        return token
    }

    /// Uniform base62 characters by rejection sampling (bytes >= 248 are redrawn), so no character is
    /// likelier than another.
    static func randomBase62(count: Int) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            guard var batch = Crypto.randomBytes(count * 2) else { return nil }
            for byte in batch where byte < 248 && out.count < count {
                out.append(Base62.alphabet[Int(byte % 62)])
            }
            Crypto.wipe(&batch)
        }
        return out
    }

    /// The public hint of `value` when it is a secret token of *any* prefix (the published format with a
    /// valid checksum), else nil. Used so that a secret passed where an id belongs is never echoed
    /// in an error message or written to the audit log.
    static func secretHint(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        guard let underscore = bytes.firstIndex(of: UInt8(ascii: "_")), (3...9).contains(underscore) else { return nil }
        let prefix = bytes[..<(underscore - 1)]
        guard prefix.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else { return nil }
        let format = TokenFormat(prefix: String(decoding: prefix, as: UTF8.self))
        guard bytes.withUnsafeBytes({ format.check($0) }) != nil else { return nil }
        return String(decoding: bytes.prefix(format.hintLength), as: UTF8.self) + "…"
    }

    /// The kind a well-formed token of this store declares, or nil when the bytes are not such a token
    /// (wrong prefix, kind letter, length, alphabet or checksum). Touches no storage; one pass.
    func check(_ token: UnsafeRawBufferPointer) -> TokenKind? {
        let head = prefixCount + 2
        let count = token.count
        guard count >= head + Self.minimumRandomLength + Self.checksumLength,
              count <= head + Self.maximumRandomLength + Self.checksumLength,
              let bytes = token.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        // count >= 37 here, so reading the first 8 bytes stays inside the token.
        let start = UInt64(littleEndian: UnsafeRawPointer(bytes).loadUnaligned(as: UInt64.self))
        guard start & prefixMask == prefixWord, bytes[head - 1] == UInt8(ascii: "_"), let kind = TokenKind(letter: bytes[head - 2]) else {
            return nil
        }
        let bodyCount = count - Self.checksumLength
        let values = base62Values
        // The checksum first: a mistyped or forged token is rejected before its alphabet is checked.
        var invalid: UInt8 = 0
        var stated: UInt64 = 0
        for index in bodyCount..<count {
            let digit = values[Int(bytes[index])]
            invalid |= digit & 0x80
            stated = stated &* 62 &+ UInt64(digit)
        }
        let crc = CRC32.update(kind == .personal ? personalHeadCRC : serviceHeadCRC, bytes + head, bodyCount - head)
        guard invalid == 0, stated == UInt64(crc ^ 0xFFFF_FFFF) else { return nil }
        // Then the random part's alphabet, eight bytes at a time (SWAR), the rest byte by byte.
        var index = head
        while bodyCount - index >= 8 {
            guard Base62.areDigits(UnsafeRawPointer(bytes + index).loadUnaligned(as: UInt64.self)) else { return nil }
            index += 8
        }
        while index < bodyCount {
            invalid |= values[Int(bytes[index])] & 0x80
            index += 1
        }
        return invalid == 0 ? kind : nil
    }
}

/// Where a credential's token starts: a bare token, or an Authorization value "Bearer" + spaces + token
/// (the scheme is case-insensitive, RFC 6750 §2.1).
enum Credential {
    static let maximumLength = 4096
    /// "bearer" as a little-endian word, and the mask of its six bytes.
    private static let scheme: UInt64 = 0x7265_7261_6562
    private static let schemeLength = 6
    private static let schemeMask: UInt64 = 0xFFFF_FFFF_FFFF

    static func token(in credential: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard credential.count > 0, credential.count <= maximumLength else { return nil }
        // count > 8 here, so the first eight bytes can be read; | 0x20 lowercases letters.
        guard credential.count > 8, credential[schemeLength] == 0x20,
              credential.loadUnaligned(as: UInt64.self) & schemeMask | 0x2020_2020_2020 == scheme else { return credential }
        var start = schemeLength
        while start < credential.count, credential[start] == 0x20 { start += 1 }
        return UnsafeRawBufferPointer(rebasing: credential[start..<credential.count])
    }
}
