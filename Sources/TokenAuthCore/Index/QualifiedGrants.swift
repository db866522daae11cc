#if canImport(Glibc)
import Glibc
#endif

/// The qualified grants of an indexed token (`tickets:read@project/42`) and, for a personal token,
/// of its owner, as positions over the index's `ScopeIndex` and pattern bytes: what a verification
/// against a resource consults when a required scope is not in force on every resource. Built on a
/// token's first verification only when it or its owner has a qualified grant; immutable. A value
/// held inline by the token's `IndexedTokenExtra`; both holders' entries and pattern bytes live in
/// one allocation that `storage` frees, read in place: from the token a verification follows two
/// pointers (to the extra, then to the entries) and takes no reference count.
struct QualifiedGrants: @unchecked Sendable {
    /// One expanded grant `S@P`, as built: the position of S (`adminPosition`: every scope) and P.
    struct Entry {
        let position: Int
        let pattern: [UInt8]
    }

    private struct Stored {
        let position: Int
        let start: Int
        let count: Int
        /// Without a `*`, a pattern covers a name that starts with it at a segment boundary.
        let literal: Bool
    }

    static let adminPosition = -1

    /// Scopes the token holds on every resource.
    let tokenEverywhere: ScopeSet
    /// Scopes the owner holds on every resource (a personal token; nil: a service token).
    let ownerEverywhere: ScopeSet?
    /// The token's entries, then the owner's; then every pattern's bytes.
    private let entries: UnsafeMutableBufferPointer<Stored>
    private let bytes: UnsafeMutableRawBufferPointer
    /// How many of `entries` are the token's.
    let tokenCount: Int
    /// Owns the allocation behind `entries` and `bytes`.
    private let storage: Storage

    private final class Storage: @unchecked Sendable {
        let block: UnsafeMutableRawBufferPointer
        init(_ block: UnsafeMutableRawBufferPointer) { self.block = block }
        deinit { block.deallocate() }
    }

    init(token: [Entry], everywhere: ScopeSet, owner: [Entry]?, ownerEverywhere: ScopeSet?) {
        let all = token + (owner ?? [])
        let storedBytes = MemoryLayout<Stored>.stride * max(1, all.count)
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: storedBytes + max(1, all.reduce(0) { $0 + $1.pattern.count }),
                                                           alignment: MemoryLayout<Stored>.alignment)
        entries = block.baseAddress.map {
            UnsafeMutableBufferPointer(start: $0.bindMemory(to: Stored.self, capacity: max(1, all.count)), count: all.count)
        } ?? UnsafeMutableBufferPointer(start: nil, count: 0)
        bytes = UnsafeMutableRawBufferPointer(rebasing: block[storedBytes...])
        storage = Storage(block)
        var offset = 0
        for (index, entry) in all.enumerated() {
            for byte in entry.pattern {
                bytes[offset] = byte
                offset += 1
            }
            entries.initializeElement(at: index, to: Stored(position: entry.position, start: offset - entry.pattern.count,
                                                             count: entry.pattern.count, literal: !entry.pattern.contains(UInt8(ascii: "*"))))
        }
        tokenEverywhere = everywhere
        self.ownerEverywhere = owner == nil ? nil : ownerEverywhere ?? ScopeSet()
        tokenCount = token.count
    }

    /// Whether the scope at `position` is in force on `resource`: the token holds it there, and so
    /// does the owner of a personal token. Returns the token's entry that holds it (-1: a grant on
    /// every resource), for the usage statistics.
    @inline(__always)
    func inForce(_ position: Int, on resource: UnsafeRawBufferPointer) -> Int? {
        let tokenHolds = tokenEverywhere.contains(position) ? -1 : match(position, resource, in: 0..<tokenCount)
        guard let tokenHolds else { return nil }
        if let ownerEverywhere, !ownerEverywhere.contains(position), match(position, resource, in: tokenCount..<entries.count) == nil {
            return nil
        }
        return tokenHolds
    }

    /// The first of the entries `range` that puts `position` in force on `resource`.
    @inline(__always)
    private func match(_ position: Int, _ resource: UnsafeRawBufferPointer, in range: Range<Int>) -> Int? {
        guard let base = UnsafeRawPointer(bytes.baseAddress) else { return nil }
        for index in range {
            let entry = entries[index]
            guard entry.position == position || entry.position == Self.adminPosition else { continue }
            let pattern = UnsafeRawBufferPointer(start: base + entry.start, count: entry.count)
            if entry.literal ? Self.prefixes(pattern, resource) : ResourcePattern.covers(pattern, name: resource) { return index }
        }
        return nil
    }

    /// A pattern without `*` covers the names it is a prefix of, ending at a segment boundary. The
    /// boundary is checked first: it alone turns away most patterns that do not cover the name.
    @inline(__always)
    private static func prefixes(_ pattern: UnsafeRawBufferPointer, _ name: UnsafeRawBufferPointer) -> Bool {
        let count = pattern.count
        guard name.count >= count, let p = pattern.baseAddress, let n = name.baseAddress else { return false }
        guard name.count == count || n.load(fromByteOffset: count, as: UInt8.self) == UInt8(ascii: "/") else { return false }
        return equalBytes(p, n, count)
    }

    /// Whether the `count` bytes at `a` and `b` are equal, compared a word at a time (the last word
    /// first, where patterns that share a prefix differ).
    @inline(__always)
    private static func equalBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        guard count >= 8 else { return memcmp(a, b, count) == 0 }
        let last = count - 8
        guard a.loadUnaligned(fromByteOffset: last, as: UInt64.self) == b.loadUnaligned(fromByteOffset: last, as: UInt64.self) else {
            return false
        }
        var offset = 0
        while offset < last {
            guard a.loadUnaligned(fromByteOffset: offset, as: UInt64.self) == b.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else {
                return false
            }
            offset += 8
        }
        return true
    }

    /// The scope position of the token's entry `index` (`adminPosition`: every scope).
    func position(_ index: Int) -> Int { entries[index].position }

    /// The grant text of a use: the scope's name qualified by the token's entry `entry`.
    func usedGrant(scope name: String, entry: Int) -> String {
        guard entry >= 0, entry < tokenCount else { return name }
        let stored = entries[entry]
        return name + "@" + String(decoding: UnsafeRawBufferPointer(rebasing: bytes[stored.start..<stored.start + stored.count]), as: UTF8.self)
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
