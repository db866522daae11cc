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
