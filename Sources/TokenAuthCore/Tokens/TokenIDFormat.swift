/// Public token ids (docs/DECISIONS.md): `tok_` + 16 base62 characters, time-ordered. The first 7
/// characters are the creation time in milliseconds (big-endian base62), the other 9 come from the
/// CSPRNG. Ids issued later sort later, so every B-tree keyed by id (the tokens' id index, the audit's
/// token index) grows at its right edge instead of dirtying a random page per insert; the random tail
/// (≈53.6 bits) keeps ids unpredictable and, with the UNIQUE constraint, distinct.
enum TokenIDFormat {
    static let prefix = "tok_"
    static let timeLength = 7
    static let randomLength = 9
    /// 62^7 ms ≈ 111 years: the time part wraps around in 2081 (ids stay unique, only the order restarts).
    static let timeModulus: UInt64 = 3_521_614_606_208

    /// The id of a token created at `createdAtMS`, with `random` (at least `randomLength` base62
    /// characters from the CSPRNG) as its tail.
    static func make(createdAtMS: Int64, random: ArraySlice<UInt8>) -> String {
        var characters = [UInt8](repeating: Base62.alphabet[0], count: timeLength)
        var rest = UInt64(bitPattern: createdAtMS) % timeModulus
        for index in stride(from: timeLength - 1, through: 0, by: -1) {
            characters[index] = Base62.alphabet[Int(rest % 62)]
            rest /= 62
        }
        characters.append(contentsOf: random.prefix(randomLength))
        return prefix + String(decoding: characters, as: UTF8.self)
    }
}
