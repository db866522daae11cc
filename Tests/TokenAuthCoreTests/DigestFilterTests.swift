import XCTest
@testable import TokenAuthCore

/// The digest filter that answers floods of unknown tokens without a query, and never refuses a
/// token that exists — wherever it was created.
final class DigestFilterTests: DatabaseTestCase {
    /// A token of the store's format (valid checksum) that was never issued.
    private static func guess() throws -> [UInt8] {
        let random = try XCTUnwrap(TokenFormat.randomBase62(count: TokenFormat.randomLength))
        return TokenFormat(prefix: "tka").secret(kind: .service, random: random[...])
    }

    private func waitForFilter(_ store: TokenStore) throws {
        for _ in 0..<500 where !store.index.hasReadyFilter { usleep(10_000) }
        XCTAssertTrue(store.index.hasReadyFilter, "the background thread built no filter within 5 s")
    }

    func testNoFalseNegativesAndFewFalsePositives() {
        let filter = DigestFilter(keys: 20_000)
        let inserted = (0..<20_000).map { _ in Digest.random() }
        inserted.forEach(filter.insert)
        XCTAssertTrue(inserted.allSatisfy(filter.mayContain))
        let falsePositives = (0..<20_000).filter { _ in filter.mayContain(Digest.random()) }.count
        XCTAssertLessThan(falsePositives, 400, "more than 2% false positives at the planned load")
    }

    func testReadinessCanBeWithdrawnButNotRestoredByALateBuild() {
        let filter = DigestFilter(keys: 10)
        XCTAssertFalse(filter.isReady)
        filter.markReady()
        XCTAssertTrue(filter.isReady)
        filter.withdraw()
        filter.markReady()
        XCTAssertFalse(filter.isReady)
    }

    func testUnknownGuessesCostNoQueryOnceTheFilterIsBuilt() throws {
        let store = try TokenStore.open(path: path)
        defer { store.close() }
        for index in 0..<50 { _ = try store.createToken(actor: nil, spec: TokenSpec(name: "t\(index)", kind: .service, scopes: "tickets:read")) }
        try waitForFilter(store)
        let before = store.index.databaseLookups.load(ordering: .relaxed)
        for _ in 0..<1000 {
            let verdict = try Self.guess().withUnsafeBytes { store.verify(credential: $0, requiredScopes: nil) }
            XCTAssertEqual(verdict.status, .unknownToken)
        }
        XCTAssertLessThan(store.index.databaseLookups.load(ordering: .relaxed) - before, 50)
    }

    func testATokenCreatedByAnotherHandleIsAcceptedAtOnce() throws {
        let verifier = try TokenStore.open(path: path)
        defer { verifier.close() }
        let issuer = try TokenStore.open(path: path)
        defer { issuer.close() }
        _ = try issuer.createToken(actor: nil, spec: TokenSpec(name: "first", kind: .service, scopes: "tickets:read"))
        try waitForFilter(verifier)
        for _ in 0..<20 {
            let issued = try issuer.createToken(actor: nil, spec: TokenSpec(name: "later", kind: .service, scopes: "tickets:read"))
            XCTAssertEqual(issued.secret.withUnsafeBytes { verifier.verify(credential: $0, requiredScopes: nil) }.status, .ok)
        }
    }

    func testAChangeLogThatNoLongerReachesBackWithdrawsTheFilter() throws {
        let verifier = try TokenStore.open(path: path)
        defer { verifier.close() }
        let issuer = try TokenStore.open(path: path)
        defer { issuer.close() }
        let first = try issuer.createToken(actor: nil, spec: TokenSpec(name: "first", kind: .service, scopes: "tickets:read"))
        try waitForFilter(verifier)
        XCTAssertEqual(first.secret.withUnsafeBytes { verifier.verify(credential: $0, requiredScopes: nil) }.status, .ok)
        // More changes than the log keeps, then a creation: the verifier cannot know every creation.
        for round in 0...SQLiteAccess.changesKept { try issuer.renameToken(actor: nil, tokenID: first.id, name: "n\(round % 7)") }
        let late = try issuer.createToken(actor: nil, spec: TokenSpec(name: "late", kind: .service, scopes: "tickets:read"))
        XCTAssertEqual(late.secret.withUnsafeBytes { verifier.verify(credential: $0, requiredScopes: nil) }.status, .ok)
        try waitForFilter(verifier)
        let again = try issuer.createToken(actor: nil, spec: TokenSpec(name: "again", kind: .service, scopes: "tickets:read"))
        XCTAssertEqual(again.secret.withUnsafeBytes { verifier.verify(credential: $0, requiredScopes: nil) }.status, .ok)
    }
}
