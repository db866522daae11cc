import XCTest
@testable import TokenAuthCore

/// The index computes a token's scopes in force from the stored list's bytes; it must answer exactly
/// what `ScopesInForce` (the management calls' definition) answers, for every catalog scope.
final class ScopeIndexTests: XCTestCase {
    private func assertSameAsScopesInForce(_ catalog: ScopeCatalog, expanded: [String], kind: TokenKind, owner: Member?,
                                           file: StaticString = #filePath, line: UInt = #line) {
        let index = ScopeIndex(catalog: catalog, version: 1)
        let set = index.inForce(expanded: expanded.joined(separator: " "), kind: kind, owner: owner).set
        let reference = ScopesInForce(catalog: catalog, tokenScopes: expanded, kind: kind, owner: owner)
        for (position, name) in index.names.enumerated() {
            XCTAssertEqual(set.contains(position), reference.contains(name),
                           "\(name) for \(kind) \(expanded) owner \(owner?.permissions ?? [])", file: file, line: line)
        }
    }

    func testMatchesScopesInForceOverTokensAndOwners() throws {
        var catalog = ScopeCatalog.standard
        // Beyond 64 positions, so that the sets' high words are exercised too.
        for number in 0..<70 { catalog = try catalog.defining("extra:\(number)", implies: [], description: nil) }
        let lists: [[String]] = [
            [], ["tickets:read"], ["tickets:write", "tickets:read"], ["admin"], ["users:read", "admin"],
            ["extra:3", "extra:69", "assets:read"], ["not-in-catalog", "tickets:read"], ["extra:65"],
        ]
        let owners: [Member?] = [
            nil, Member(id: "alice", active: true, permissions: []),
            Member(id: "bob", active: true, permissions: ["tickets:read", "token.create"]),
            Member(id: "carol", active: false, permissions: ["admin"]),
            Member(id: "dave", active: true, permissions: ["extra:69", "tickets:write"]),
        ]
        for list in lists {
            assertSameAsScopesInForce(catalog, expanded: list, kind: .service, owner: nil)
            for owner in owners { assertSameAsScopesInForce(catalog, expanded: list, kind: .personal, owner: owner) }
        }
    }

    func testExtraSpacesAreIgnored() {
        let index = ScopeIndex(catalog: .standard, version: 1)
        let set = index.inForce(expanded: "  tickets:read   users:read ", kind: .service, owner: nil).set
        let named = index.lookup.names(in: set)
        XCTAssertEqual(named, ["tickets:read", "users:read"])
    }
}
