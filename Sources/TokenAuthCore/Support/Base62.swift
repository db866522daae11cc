/// The base62 alphabet of the token format: 0-9 A-Z a-z, in that order.
enum Base62 {
    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// Each byte's digit value, or 0xFF for a byte that is not a base62 digit.
    nonisolated(unsafe) static let values: UnsafePointer<UInt8> = {
        let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        pointer.initialize(repeating: 0xFF, count: 256)
        for (digit, byte) in alphabet.enumerated() { pointer[Int(byte)] = UInt8(digit) }
        return UnsafePointer(pointer)
    }()


    /// Whether all eight bytes of `word` are base62 digits: each byte's range tests done for the eight
    /// at once, without a carry crossing bytes (every byte is checked to be below 0x80 first).
    static func areDigits(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs = ones &* 0x80
        guard word & highs == 0 else { return false }
        func within(_ low: UInt64, _ high: UInt64) -> UInt64 {
            let atLeastLow = (word &+ ones &* (0x80 - low)) & highs
            let aboveHigh = (word &+ ones &* (0x7F - high)) & highs
            return atLeastLow & ~aboveHigh
        }
        return within(0x30, 0x39) | within(0x41, 0x5A) | within(0x61, 0x7A) == highs
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
}
