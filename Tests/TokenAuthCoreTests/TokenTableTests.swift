import XCTest
@testable import TokenAuthCore

/// The index's open-addressing table, and that usage counted in its entries survives their leaving.
final class TokenTableTests: DatabaseTestCase {
    private static func entry(_ digest: Digest) -> IndexedToken? {
        let lookup = VerificationLookup(digest: digest.bytes, id: "tok_0123456789abcdef", kind: .service, owner: nil,
                                        ownerRemoved: false, expandedScopes: "", expiresAt: 0, active: true, revoked: false, graceEndsAt: nil,
                                        rateLimit: nil, ownerMember: nil, catalogVersion: 0)
        return IndexedToken(lookup, scopes: ScopeIndex(catalog: ScopeCatalog(definitions: [:]), version: 0), owner: "")
    }

    func testAnIndexedTokenStaysSmall() {
        // The RSS budget is 300 bytes per cached token, slots and usage queue included.
        XCTAssertEqual(MemoryLayout<IndexedToken>.stride, TokenTable.entryAlignment)
    }

    func testCatalogsOfMoreThan64ScopesAreDecidedAndCounted() throws {
        let store = try TokenStore.open(path: path)
        defer { store.close() }
        for index in 0..<80 { try store.defineScope("zz:s\(index)", implies: nil, description: nil) }
        let issued = try store.createToken(actor: nil, spec: TokenSpec(name: "big", kind: .service, scopes: "zz:s79 tickets:read"))
        func verify(_ scopes: String) -> Status {
            issued.secret.withUnsafeBytes { secret in
                Array(scopes.utf8).withUnsafeBytes { store.verify(credential: secret, requiredScopes: $0).status }
            }
        }
        for _ in 0..<2 { // from the database, then from the index
            XCTAssertEqual(verify("zz:s79 tickets:read"), .ok)
            XCTAssertEqual(verify("zz:s78"), .forbidden)
        }
        try store.flush()
        let stats = try store.stats(actor: nil, tokenID: issued.id, sinceMS: 0)
        XCTAssertTrue(stats.contains("\"zz:s79\""), stats)
        XCTAssertTrue(stats.contains("\"use_count\":2,"), stats)
    }

    func testInsertFindRemoveAndEvictKeepEveryOtherEntryFindable() throws {
        var table = TokenTable()
        var present = (0..<5000).map { _ in Digest.random() }
        for digest in present { _ = table.insert(try XCTUnwrap(Self.entry(digest))) }
        present.shuffle()
        let removed = present.prefix(2500)
        for digest in removed { XCTAssertNotNil(table.remove(digest)) }
        var remaining = Set(present.dropFirst(2500).map(\.w0))
        for _ in 0..<500 { remaining.remove(try XCTUnwrap(table.evictOne()).digest.w0) }
        XCTAssertEqual(table.count, remaining.count)
        for digest in present {
            let found = table.find(digest)
            XCTAssertEqual(found != nil, remaining.contains(digest.w0))
            if let found { XCTAssertTrue(table.digest(at: found)?.isSame(as: digest) ?? false) }
        }
        table.removeAll { _ in }
        XCTAssertNil(table.find(present[0]))
    }

    func testUsesCountedInEvictedOrInvalidatedEntriesAreNotLost() throws {
        let store = try TokenStore.open(path: path, configuration: StoreConfiguration(usageFlushMS: 3_600_000))
        defer { store.close() }
        let other = try TokenStore.open(path: path)
        defer { other.close() }
        store.setIndexCapacity(1) // one entry per shard: 2,500 tokens in 1,024 shards keep evicting
        let tokens = try (0..<2500).map { try store.createToken(actor: nil, spec: TokenSpec(name: "t\($0)", kind: .service, scopes: "tickets:read")) }
        for round in 0..<3 {
            for token in tokens {
                XCTAssertEqual(token.secret.withUnsafeBytes { store.verify(credential: $0, requiredScopes: nil) }.status, .ok)
            }
            // A commit elsewhere that changes the first token drops its entry from this handle's index.
            try other.renameToken(actor: nil, tokenID: tokens[0].id, name: "renamed\(round)")
        }
        try store.flush()
        for token in tokens {
            let stats = try store.stats(actor: nil, tokenID: token.id, sinceMS: 0)
            XCTAssertTrue(stats.contains("\"use_count\":3,"), stats)
        }
    }
}
