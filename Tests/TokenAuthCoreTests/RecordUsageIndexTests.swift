import Foundation
import XCTest
@testable import TokenAuthCore

/// `ta_record_usage` asks the index, not the database, whether a token it records still exists:
/// for tokens this handle counted a use of, and for tokens whose digest it read from the database.
final class RecordUsageIndexTests: DatabaseTestCase {
    private func record(_ store: TokenStore, _ id: String) throws {
        var id = id
        try id.withUTF8 { idBytes in
            try Array("GET /a".utf8).withUnsafeBytes {
                try store.recordUsage(tokenID: UnsafeRawBufferPointer(idBytes), operation: $0, httpStatus: 200)
            }
        }
    }

    /// A token verified before this handle first recorded usage is not in the id → digest map
    /// (it is kept only once asked); its first recording reads the digest from the database and
    /// keeps it, so that later recordings prove the token through the index, whatever is committed.
    func testADigestReadFromTheDatabaseIsKeptForTheIndex() throws {
        let store = try TokenStore.open(path: path, configuration: StoreConfiguration(usageFlushMS: 3_600_000))
        defer { store.close() }
        let issued = try store.createToken(actor: nil, spec: TokenSpec(name: "gateway", kind: .service, scopes: "tickets:read"))
        XCTAssertEqual(issued.secret.withUnsafeBytes { store.verify(credential: $0, requiredScopes: nil) }.status, .ok)
        let key = try XCTUnwrap(issued.id.utf8CString.withUnsafeBytes { TokenIDKey(UnsafeRawBufferPointer(rebasing: $0.dropLast())) })
        XCTAssertNil(store.usage.knownDigest(key), "verified before any recording: not kept")
        try record(store, issued.id)
        let digest = try XCTUnwrap(issued.secret.withUnsafeBytes { Digest.sha256($0) })
        XCTAssertEqual(store.usage.knownDigest(key)?.isSame(as: digest), true, "learnt from the database")
        _ = try store.createToken(actor: nil, spec: TokenSpec(name: "another commit", kind: .service, scopes: "tickets:read"))
        try record(store, issued.id)
        try store.flush()
        let stats = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try store.stats(actor: nil, tokenID: issued.id, sinceMS: 0).utf8))
            as? [String: Any])
        XCTAssertEqual((stats["by_operation"] as? [String: Any])?["GET /a"] as? Int, 2)
    }
}
