/// The base62 alphabet of the token format: 0-9 A-Z a-z, in that order.
enum Base62 {
    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    @inline(__always)
    static func value(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 0x30...0x39: UInt32(byte - 0x30)
        case 0x41...0x5A: UInt32(byte - 0x41) + 10
        case 0x61...0x7A: UInt32(byte - 0x61) + 36
        default: nil
        }
    }

    /// `value` as exactly six base62 digits, most significant first, left-padded with '0'.
    static func sixDigits(_ value: UInt32) -> [UInt8] {
        var digits = [UInt8](repeating: alphabet[0], count: 6)
        var rest = UInt64(value)
        for index in stride(from: 5, through: 0, by: -1) {
            digits[index] = alphabet[Int(rest % 62)]
            rest /= 62
        }
        return digits
    }

    /// Decodes six base62 digits; nil if any is not a digit or the value exceeds 32 bits.
    static func decodeSix(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        guard bytes.count == 6 else { return nil }
        var total: UInt64 = 0
        for byte in bytes {
            guard let digit = value(byte) else { return nil }
            total = total * 62 + UInt64(digit)
        }
        return total <= UInt64(UInt32.max) ? UInt32(total) : nil
    }
}
