/// The qualified grants of an indexed token (`tickets:read@project/42`) and, for a personal token,
/// of its owner, as positions over the index's `ScopeIndex` and pattern bytes: what a verification
/// against a resource consults when a required scope is not in force on every resource. Built on a
/// token's first verification only when it or its owner has a qualified grant; immutable.
final class QualifiedGrants: @unchecked Sendable {
    /// One expanded grant `S@P`: the position of S (`adminPosition`: every scope) and P's bytes.
    struct Entry {
        let position: Int
        let pattern: [UInt8]
    }

    /// What one holder (the token, or the owner) has: scopes on every resource, and qualified grants.
    struct Side {
        let everywhere: ScopeSet
        let entries: [Entry]

        /// The index of the first entry putting `position` in force on `resource`, or -1 when a grant
        /// on every resource does; nil when neither does.
        @inline(__always)
        func match(_ position: Int, _ resource: UnsafeRawBufferPointer) -> Int? {
            if everywhere.contains(position) { return -1 }
            for (index, entry) in entries.enumerated() where entry.position == position || entry.position == QualifiedGrants.adminPosition {
                let covered = entry.pattern.withUnsafeBytes { ResourcePattern.covers($0, name: resource) }
                if covered { return index }
            }
            return nil
        }
    }

    static let adminPosition = -1

    let token: Side
    /// The owner's, for a personal token (nil: a service token).
    let owner: Side?

    init(token: Side, owner: Side?) {
        self.token = token
        self.owner = owner
    }

    /// Whether the scope at `position` is in force on `resource`: the token holds it there, and so
    /// does the owner of a personal token. Returns the token's entry that holds it (-1: a grant on
    /// every resource), for the usage statistics.
    @inline(__always)
    func inForce(_ position: Int, on resource: UnsafeRawBufferPointer) -> Int? {
        guard let entry = token.match(position, resource) else { return nil }
        if let owner, owner.match(position, resource) == nil { return nil }
        return entry
    }

    /// The grant text of a use: the scope's name qualified by the token's entry `entry`.
    func usedGrant(scope name: String, entry: Int) -> String {
        guard entry >= 0, entry < token.entries.count else { return name }
        return name + "@" + String(decoding: token.entries[entry].pattern, as: UTF8.self)
    }
}

extension ScopeIndex {
    /// The qualified words (`scope@pattern`) of a stored expansion, as entries.
    func qualifiedEntries(_ expanded: String) -> [QualifiedGrants.Entry] {
        expanded.split(separator: " ").compactMap { word in
            guard let at = word.firstIndex(of: "@") else { return nil }
            return entry(scope: word[..<at], pattern: word[word.index(after: at)...])
        }
    }

    /// A member's qualified grants, expanded, as entries (one per pattern holding admin).
    func qualifiedEntries(of cover: GrantCover) -> [QualifiedGrants.Entry] {
        cover.byPattern.flatMap { pattern, scopes -> [QualifiedGrants.Entry] in
            if scopes.contains(ScopeCatalog.admin) {
                return [QualifiedGrants.Entry(position: QualifiedGrants.adminPosition, pattern: Array(pattern.utf8))]
            }
            return scopes.compactMap { entry(scope: Substring($0), pattern: Substring(pattern)) }
        }
    }

    private func entry(scope: Substring, pattern: Substring) -> QualifiedGrants.Entry? {
        if scope == Substring(ScopeCatalog.admin) {
            return QualifiedGrants.Entry(position: QualifiedGrants.adminPosition, pattern: Array(pattern.utf8))
        }
        var name = String(scope)
        guard let position = name.withUTF8({ lookup.position(of: UnsafeRawBufferPointer($0)) }) else { return nil }
        return QualifiedGrants.Entry(position: position, pattern: Array(pattern.utf8))
    }
}
