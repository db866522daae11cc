/// Syntax rules for everything that crosses the ABI as text. Each throws `TA_INVALID_ARGUMENT` with a
/// message naming the argument; none echoes a value that could be a secret.
enum Validate {
    static let reservedMemberID = "system"
    static let maximumNameBytes = 200
    static let maximumOperationBytes = 200

    /// Identifiers: 1..63 bytes of [A-Za-z0-9._@:-].
    static func identifier(_ value: String, _ what: String) throws -> String {
        let bytes = value.utf8
        guard !bytes.isEmpty else { throw TokenAuthError.invalid("\(what) is empty") }
        guard bytes.count <= 63 else { throw TokenAuthError.invalid("\(what) is longer than 63 bytes") }
        guard bytes.allSatisfy(isIdentifierByte) else {
            throw TokenAuthError.invalid("\(what) may only contain A-Z a-z 0-9 . _ @ : -")
        }
        if let hint = TokenFormat.secretHint(value) {
            throw TokenAuthError.invalid("\(what) is a token secret (\(hint)), not an identifier: pass the token's id (tok_…), never its secret")
        }
        return value
    }

    static func memberID(_ value: String, _ what: String = "member id") throws -> String {
        let id = try identifier(value, what)
        guard id != reservedMemberID else { throw TokenAuthError.invalid("\(what) \"system\" is reserved for the host") }
        return id
    }

    /// Scope names: 1..63 bytes of [a-z0-9:._-].
    static func isScopeName(_ value: Substring.UTF8View) -> Bool {
        (1...63).contains(value.count) && value.allSatisfy(isScopeByte)
    }

    static func scopeName(_ value: String, _ what: String = "scope") throws -> String {
        guard isScopeName(Substring(value).utf8) else {
            throw TokenAuthError.invalid("\(what) \"\(printable(value))\" is not 1..63 bytes of a-z 0-9 : . _ -")
        }
        return value
    }

    /// A space-separated list of scope names (runs of spaces allowed), de-duplicated and sorted.
    static func scopeList(_ value: String, _ what: String) throws -> [String] {
        let words = value.split(separator: " ")
        for word in words where !isScopeName(word.utf8) {
            throw TokenAuthError.invalid("\(what): \"\(printable(String(word)))\" is not a valid scope name")
        }
        return Set(words.map(String.init)).sorted()
    }

    /// A token name: 1..200 bytes (valid UTF-8 is guaranteed by the ABI's conversion).
    static func tokenName(_ value: String) throws -> String {
        let count = value.utf8.count
        guard count >= 1 else { throw TokenAuthError.invalid("name is empty") }
        guard count <= maximumNameBytes else { throw TokenAuthError.invalid("name is longer than 200 bytes") }
        return value
    }

    /// Whether `bytes` are an identifier: `identifier(_:_:)`'s rule without allocating, for the hot
    /// path (which then asks `identifier(_:_:)` for the reason of a refusal).
    static func isIdentifier(_ bytes: UnsafeRawBufferPointer) -> Bool {
        (1...63).contains(bytes.count) && bytes.allSatisfy(isIdentifierByte)
    }

    /// An operation name: 1..200 bytes of UTF-8 (an ASCII name is checked without allocating).
    static func operation(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count >= 1 else { throw TokenAuthError.invalid("operation is empty") }
        guard bytes.count <= maximumOperationBytes else { throw TokenAuthError.invalid("operation is longer than 200 bytes") }
        guard isASCII(bytes) || String(validating: bytes, as: UTF8.self) != nil else {
            throw TokenAuthError.invalid("operation is not valid UTF-8")
        }
    }

    /// Whether every byte is below 0x80, tested eight at a time (a gateway records an operation name
    /// with every request).
    private static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var seen: UInt64 = 0
        var offset = 0
        while bytes.count - offset >= 8 {
            seen |= bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < bytes.count {
            seen |= UInt64(bytes[offset])
            offset += 1
        }
        return seen & 0x8080_8080_8080_8080 == 0
    }

    /// A short, safe rendering of a user-supplied value for an error message: at most 64
    /// characters, control characters replaced, and a token secret shown only as its hint.
    static func printable(_ value: String) -> String {
        if let hint = TokenFormat.secretHint(value) { return hint }
        var out = ""
        for scalar in value.unicodeScalars.prefix(64) {
            out.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
        }
        return value.unicodeScalars.count > 64 ? out + "…" : out
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "@"), UInt8(ascii: ":"), UInt8(ascii: "-"): true
        default: false
        }
    }

    static func isScopeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x61...0x7A: true
        case UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): true
        default: false
        }
    }
}

/// Parses "key=value" filter lists (`ta_token_list`, `ta_audit`): each key at most once, only known keys.
struct QueryFilters {
    private(set) var values: [String: String] = [:]

    init(_ query: String?, allowed: Set<String>) throws {
        guard let query else { return }
        for word in query.split(separator: " ") {
            guard let equals = word.firstIndex(of: "=") else {
                throw TokenAuthError.invalid("query: \"\(Validate.printable(String(word)))\" is not key=value")
            }
            let key = String(word[..<equals])
            let value = String(word[word.index(after: equals)...])
            guard allowed.contains(key) else {
                throw TokenAuthError.invalid("query: unknown key \"\(Validate.printable(key))\" (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
            guard values[key] == nil else { throw TokenAuthError.invalid("query: key \"\(key)\" given twice") }
            guard !value.isEmpty else { throw TokenAuthError.invalid("query: \(key)= has no value") }
            values[key] = value
        }
    }

    subscript(key: String) -> String? { values[key] }

    func integer(_ key: String, minimum: Int64) throws -> Int64? {
        guard let text = values[key] else { return nil }
        guard let number = Int64(text), number >= minimum else {
            throw TokenAuthError.invalid("query: \(key)= must be an integer >= \(minimum)")
        }
        return number
    }
}
