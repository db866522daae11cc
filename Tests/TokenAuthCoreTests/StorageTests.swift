import XCTest
@testable import TokenAuthCore

/// The SQLite storage: the upkeep of the change log.
final class StorageTests: XCTestCase {
    private var path = ""

    override func setUp() {
        path = NSTemporaryDirectory() + "storage-\(UUID().uuidString).db"
    }

    override func tearDown() { removeFiles() }

    private func removeFiles() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    func testTheChangeLogIsPrunedInBatchesAndKeepsAtLeastItsWindow() throws {
        let store = try TokenStore.open(path: path)
        defer { store.close() }
        let kept = SQLiteAccess.changesKept, batch = SQLiteAccess.pruneEvery
        for index in 0..<(kept + 2 * batch) {
            _ = try store.createToken(actor: nil, spec: TokenSpec(name: "t\(index)", kind: .service, scopes: "tickets:read"))
        }
        let (oldest, latest) = try store.backend.read { reader -> (Int64, Int64) in
            let all = try reader.changes(after: 0)
            return (all.oldestKept, all.latest)
        }
        XCTAssertGreaterThanOrEqual(latest - oldest + 1, kept)
        XCTAssertLessThan(latest - oldest + 1, kept + batch)
        let recent = try store.backend.read { try $0.changes(after: latest - kept) }
        XCTAssertFalse(recent.everything, "the last changesKept changes are all still there")
        XCTAssertEqual(recent.tokens.count, Int(kept))
        XCTAssertTrue(try store.backend.read { try $0.changes(after: 1) }.everything, "pruned: too far behind")
    }
}
