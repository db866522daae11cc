import XCTest
@testable import TokenAuthCore

/// The verification index: fed by SQLite's commit signal, never stale.
final class IndexTests: DatabaseTestCase {
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

    func testASecretPassedAsAnIdentifierIsRefusedAndNeverEchoed() throws {
        let store = try TokenStore.open(path: path)
        defer { store.close() }
        let issued = try store.createToken(actor: nil, spec: TokenSpec(name: "a", kind: .service, scopes: "tickets:read"))
        let secret = String(decoding: issued.secret, as: UTF8.self)
        for call in [{ _ = try store.getToken(actor: nil, tokenID: secret) },
                     { _ = try store.getToken(actor: secret, tokenID: issued.id) },
                     { try store.putMember(secret, permissions: "") },
                     { try store.defineScope(secret, implies: nil, description: nil) }] {
            XCTAssertThrowsError(try call()) { error in
                let failure = error as? TokenAuthError
                XCTAssertEqual(failure?.status, .invalidArgument)
                XCTAssertFalse(failure?.message.contains(secret) ?? true)
                XCTAssertFalse(failure?.message.contains(String(secret.dropFirst(12))) ?? true)
            }
        }
        XCTAssertEqual(try store.audit(actor: nil, query: "event=iam.denied"), "[]")
        XCTAssertThrowsError(try TokenStore.open(path: String(repeating: "a", count: 5000))) { error in
            XCTAssertEqual((error as? TokenAuthError)?.status, .invalidArgument)
        }
    }
}
