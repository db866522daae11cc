import XCTest

/// A test case that gets a fresh database path for each test and removes the files afterwards.
class DatabaseTestCase: XCTestCase {
    var path = ""

    override func setUp() {
        super.setUp()
        path = NSTemporaryDirectory() + "\(type(of: self))-\(UUID().uuidString).db"
    }

    override func tearDown() {
        removeDatabaseFiles()
        super.tearDown()
    }

    /// Removes the database and its WAL and shared-memory files.
    func removeDatabaseFiles() {
        for suffix in ["", "-wal", "-shm", "-ratelimit"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
