import XCTest
@testable import TokenAuthCore

/// The verification index: fed by SQLite's commit signal, never stale.
final class IndexTests: XCTestCase {
    private var path = ""

    override func setUp() {
        path = NSTemporaryDirectory() + "index-\(UUID().uuidString).db"
    }

    override func tearDown() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    func testFileDatabasesHaveACommitSignalThatMovesOnEveryCommit() throws {
        let store = try TokenStore.open(path: path)
        defer { store.close() }
        let before = try XCTUnwrap(store.backend.commitSignal.fingerprint())
        try store.putMember("alice", permissions: "tickets:read")
        let after = try XCTUnwrap(store.backend.commitSignal.fingerprint())
        XCTAssertNotEqual(before, after)
        XCTAssertEqual(after, store.backend.commitSignal.fingerprint())
    }

    func testHotVerificationsAreServedFromMemory() throws {
        let store = try TokenStore.open(path: path)
        defer { store.close() }
        let issued = try store.createToken(actor: nil, spec: TokenSpec(name: "a", kind: .service, scopes: "tickets:read"))
        let verdict = issued.secret.withUnsafeBytes { store.verify(credential: $0, requiredScopes: nil) }
        XCTAssertEqual(verdict.status, .ok)
        XCTAssertEqual(store.index.count, 1)
    }

    func testInspectingATokenLeavesNoTrace() throws {
        let store = try TokenStore.open(path: path)
        defer { store.close() }
        let issued = try store.createToken(actor: nil, spec: TokenSpec(name: "a", kind: .service, scopes: "tickets:read", rateLimit: 1))
        for _ in 0..<3 {
            XCTAssertEqual(issued.secret.withUnsafeBytes { store.inspect(credential: $0) }.status, .ok)
        }
        XCTAssertEqual(issued.secret.withUnsafeBytes { store.verify(credential: $0, requiredScopes: nil) }.status, .ok)
        let stats = try store.stats(actor: nil, tokenID: issued.id, sinceMS: 0)
        XCTAssertTrue(stats.contains("\"use_count\":1,"), stats)
        XCTAssertEqual(store.tokenPrefix, "tka")
    }
}
