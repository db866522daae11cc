/// What a token or a member is given: a catalog scope on every resource (`tickets:read`), or only on
/// the resources a pattern covers (`tickets:read@project/42`, `assets:write@site/*/rack/7`).
public struct Grant: Hashable, Comparable, Sendable {
    public let scope: String
    /// nil: every resource.
    public let pattern: String?

    /// The grant as written: `scope` or `scope@pattern`.
    public var text: String { pattern.map { "\(scope)@\($0)" } ?? scope }

    init(scope: String, pattern: String?) {
        self.scope = scope
        self.pattern = pattern
    }

    /// Parses one word of a grant list; TA_INVALID_ARGUMENT naming `what` when it is ill-formed.
    static func parse(_ word: Substring, _ what: String) throws -> Grant {
        guard let at = word.firstIndex(of: "@") else {
            guard Validate.isScopeName(word.utf8) else {
                throw TokenAuthError.invalid("\(what): \"\(Validate.printable(String(word)))\" is not a valid scope name")
            }
            return Grant(scope: String(word), pattern: nil)
        }
        let scope = word[..<at], pattern = String(word[word.index(after: at)...])
        guard Validate.isScopeName(scope.utf8) else {
            throw TokenAuthError.invalid("\(what): \"\(Validate.printable(String(word)))\" does not start with a valid scope name")
        }
        guard ResourcePattern.isWellFormed(pattern, wildcards: true) else {
            throw TokenAuthError.invalid("\(what): the resource pattern of \"\(Validate.printable(String(word)))\" is not '/'-separated segments of 1..64 bytes of A-Z a-z 0-9 . _ : - or a lone *, at most \(ResourcePattern.maximumPatternBytes) bytes")
        }
        return Grant(scope: String(scope), pattern: pattern)
    }

    /// Parses a space-separated list (runs of spaces allowed): de-duplicated, sorted by text.
    static func parseList(_ text: String, _ what: String) throws -> [Grant] {
        try Set(text.split(separator: " ").map { try parse($0, what) }).sorted()
    }

    public static func < (lhs: Grant, rhs: Grant) -> Bool { lhs.text.utf8.lexicographicallyPrecedes(rhs.text.utf8) }
}
