#if canImport(Glibc)
import Glibc
#endif

/// A set of catalog scopes as bits over a `ScopeIndex`'s positions; no heap for catalogs of up to
/// 64 scopes.
struct ScopeSet: Sendable {
    /// Positions 0..<64, and 64 on in words.
    private(set) var low: UInt64 = 0
    private(set) var high: [UInt64] = []

    init(low: UInt64 = 0) { self.low = low }

    func contains(_ position: Int) -> Bool {
        if position < 64 { return low & (1 << UInt64(position)) != 0 }
        let word = position / 64 - 1
        return word < high.count && high[word] & (1 << UInt64(position % 64)) != 0
    }

    mutating func insert(_ position: Int) {
        if position < 64 {
            low |= 1 << UInt64(position)
            return
        }
        let word = position / 64 - 1
        while high.count <= word { high.append(0) }
        high[word] |= 1 << UInt64(position % 64)
    }

    mutating func formUnion(_ other: ScopeSet) {
        low |= other.low
        while high.count < other.high.count { high.append(0) }
        for (index, word) in other.high.enumerated() { high[index] |= word }
    }

    init(positions: some Sequence<Int>) {
        for position in positions { insert(position) }
    }

    mutating func formIntersection(_ other: ScopeSet) {
        low &= other.low
        for index in high.indices { high[index] &= index < other.high.count ? other.high[index] : 0 }
    }

    var isEmpty: Bool { low == 0 && high.allSatisfy { $0 == 0 } }
}

/// The catalog's scope names in sorted byte order, so that a required scope given as bytes finds
/// its position by binary search, without building a String.
final class ScopeIndex: @unchecked Sendable {
    let catalog: ScopeCatalog
    let version: Int64
    let names: [String]
    /// The names' bytes, back to back, owned by this object (immutable after init).
    private let storage: UnsafeMutableRawBufferPointer
    private let offsets: UnsafeMutableBufferPointer<Int>
    /// A plain view of the same bytes for the hot path (no reference counting); valid while this
    /// object lives.
    let lookup: ScopeLookup

    init(catalog: ScopeCatalog, version: Int64) {
        self.catalog = catalog
        self.version = version
        names = catalog.names
        storage = .allocate(byteCount: max(1, names.reduce(0) { $0 + $1.utf8.count }), alignment: 8)
        offsets = .allocate(capacity: names.count + 1)
        var end = 0
        for (position, name) in names.enumerated() {
            offsets[position] = end
            for byte in name.utf8 {
                storage[end] = byte
                end += 1
            }
        }
        offsets[names.count] = end
        lookup = ScopeLookup(bytes: UnsafeRawPointer(storage.baseAddress), offsets: UnsafePointer(offsets.baseAddress), count: names.count)
    }

    deinit {
        storage.deallocate()
        offsets.deallocate()
    }

    /// The scopes in force for a token on every resource, as a set over this index — what
    /// `ScopesInForce.contains` answers for each catalog scope without a resource, computed from the
    /// stored expanded list's bytes (no String per word: this runs on every first verification of a
    /// token): the catalog scopes the list names, every scope when it names admin, and for a personal
    /// token only those its owner also holds on every resource (nothing when the owner is gone).
    /// With them, the qualified grants a verification against a resource consults, if the token or
    /// its owner has any.
    func inForce(expanded: String, kind: TokenKind, owner: Member?) -> (set: ScopeSet, qualified: QualifiedGrants?) {
        var text = expanded
        let tokenEverywhere = text.withUTF8 { positions(named: UnsafeRawBufferPointer($0)) }
        let tokenQualified = expanded.utf8.contains(UInt8(ascii: "@")) ? qualifiedEntries(expanded) : []
        guard kind == .personal else {
            let qualified = tokenQualified.isEmpty ? nil
                : QualifiedGrants(token: tokenQualified, everywhere: tokenEverywhere, owner: nil, ownerEverywhere: nil)
            return (tokenEverywhere, qualified)
        }
        let cover = owner?.cover(in: catalog)
        let ownerEverywhere = cover.map(everywhere(of:)) ?? ScopeSet()
        let ownerQualified = cover.map(qualifiedEntries(of:)) ?? []
        var set = tokenEverywhere
        set.formIntersection(ownerEverywhere)
        guard !tokenQualified.isEmpty || !ownerQualified.isEmpty else { return (set, nil) }
        return (set, QualifiedGrants(token: tokenQualified, everywhere: tokenEverywhere, owner: ownerQualified,
                                     ownerEverywhere: ownerEverywhere))
    }

    /// The positions `cover` holds on every resource (all of them with admin).
    func everywhere(of cover: GrantCover) -> ScopeSet {
        ScopeSet(positions: names.indices.filter { catalog.covers(cover.everywhere, names[$0]) })
    }

    /// Every scope of the catalog.
    private var all: ScopeSet { ScopeSet(positions: names.indices) }

    /// The positions of the catalog scopes among the space-separated `words`; all when admin is one.
    /// Qualified grants (`scope@pattern`) name no position.
    func positions(named words: UnsafeRawBufferPointer) -> ScopeSet {
        var set = ScopeSet()
        for word in ScopeWords(words) {
            if word.elementsEqual(ScopeCatalog.admin.utf8) { return all }
            if let position = lookup.position(of: word) { set.insert(position) }
        }
        return set
    }
}

/// Binary search over a `ScopeIndex`'s sorted names, by bytes.
struct ScopeLookup {
    let bytes: UnsafeRawPointer?
    let offsets: UnsafePointer<Int>?
    let count: Int

    /// The position of the scope spelled by `word`, or nil if it is not in the catalog.
    func position(of word: UnsafeRawBufferPointer) -> Int? {
        guard let offsets else { return nil }
        var lower = 0
        var upper = count
        while lower < upper {
            let middle = (lower + upper) / 2
            let name = UnsafeRawBufferPointer(start: bytes.map { $0 + offsets[middle] }, count: offsets[middle + 1] - offsets[middle])
            let order = Self.compare(name, word)
            if order == 0 { return middle }
            if order < 0 { lower = middle + 1 } else { upper = middle }
        }
        return nil
    }

    /// The names of the positions in `set`.
    func names(in set: ScopeSet) -> [String] {
        guard let offsets else { return [] }
        return (0..<count).filter(set.contains).map { position in
            String(decoding: UnsafeRawBufferPointer(start: bytes.map { $0 + offsets[position] },
                                                    count: offsets[position + 1] - offsets[position]), as: UTF8.self)
        }
    }

    private static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let shared = min(a.count, b.count)
        if shared > 0, let left = a.baseAddress, let right = b.baseAddress {
            let order = memcmp(left, right, shared)
            if order != 0 { return order < 0 ? -1 : 1 }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}

/// Walks a space-separated list of scope names in place.
struct ScopeWords: Sequence, IteratorProtocol {
    private let text: UnsafeRawBufferPointer
    private var offset = 0

    init(_ text: UnsafeRawBufferPointer) { self.text = text }

    mutating func next() -> UnsafeRawBufferPointer? {
        while offset < text.count, text[offset] == 0x20 { offset += 1 }
        guard offset < text.count else { return nil }
        let start = offset
        while offset < text.count, text[offset] != 0x20 { offset += 1 }
        return UnsafeRawBufferPointer(rebasing: text[start..<offset])
    }

    /// Whether every word is 1..63 bytes of [a-z0-9:._-].
    static func areValid(_ text: UnsafeRawBufferPointer) -> Bool {
        var length = 0
        for byte in text {
            if byte == 0x20 {
                length = 0
                continue
            }
            length += 1
            guard length <= 63, Validate.isScopeByte(byte) else { return false }
        }
        return true
    }
}
