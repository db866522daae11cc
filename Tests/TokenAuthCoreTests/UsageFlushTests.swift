import Foundation
import XCTest
@testable import TokenAuthCore

/// The usage flush: transactions of a bounded size, and a failure part way through that neither
/// loses nor repeats a count.
final class UsageFlushTests: DatabaseTestCase {
    func testAFlushThatFailsPartWayLosesNothingAndCountsNothingTwice() throws {
        var configuration = StoreConfiguration(usageFlushMS: 3_600_000)
        configuration.usageRowsPerTransaction = 4
        let store = try TokenStore.open(path: path, configuration: configuration)
        defer { store.close() }
        var uses: [String: Int] = [:]
        for i in 0..<20 {
            let issued = try store.createToken(actor: nil, spec: TokenSpec(name: "t\(i)", kind: .service, scopes: "tickets:read"))
            uses[issued.id] = i % 3 + 1
            for _ in 0..<(i % 3 + 1) {
                XCTAssertEqual(issued.secret.withUnsafeBytes { store.verify(credential: $0, requiredScopes: nil) }.status, .ok)
            }
        }
        let inIDOrder = uses.keys.sorted()
        let other = try SQLiteConnection(path: path, uri: false, busyTimeoutMS: 1000)
        // The usage tables' pass fails in its third transaction (ids 8–11), then the counters' pass
        // in one of its transactions: each time the flush throws, and what it did not write waits.
        try other.execute("""
            CREATE TRIGGER fail_usage BEFORE INSERT ON usage_daily WHEN NEW.token_id = '\(inIDOrder[9])'
            BEGIN SELECT RAISE(ABORT, 'injected'); END
            """)
        XCTAssertThrowsError(try store.flush())
        try other.execute("DROP TRIGGER fail_usage")
        try other.execute("""
            CREATE TRIGGER fail_counters BEFORE UPDATE OF use_count ON tokens WHEN NEW.id = '\(inIDOrder[13])'
            BEGIN SELECT RAISE(ABORT, 'injected'); END
            """)
        XCTAssertThrowsError(try store.flush())
        try other.execute("DROP TRIGGER fail_counters")
        try store.flush()
        for (id, count) in uses {
            let token = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try store.getToken(actor: nil, tokenID: id).utf8)) as? [String: Any])
            let stats = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try store.stats(actor: nil, tokenID: id, sinceMS: 0).utf8)) as? [String: Any])
            XCTAssertEqual(token["use_count"] as? Int, count, "the token's counter, \(id)")
            XCTAssertEqual(stats["use_count"] as? Int, count, "the per-day counts, \(id)")
        }
    }
}
