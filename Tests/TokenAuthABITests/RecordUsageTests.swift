// ta_record_usage counted in memory: what a token counted through the index records without a
// query, while every rule holds — an id that no longer exists is TA_NOT_FOUND at once, nothing
// counted is lost across flushes and threads, and the flush writes it within usage_flush_ms.

import CTokenAuth
import Foundation
import XCTest

final class RecordUsageTests: ABITestCase {
    private func operations(_ s: OpaquePointer, _ id: String) throws -> [String: Int64] {
        let st = try stats(s, id)
        return (st["by_operation"] as? [String: Any] ?? [:]).compactMapValues(int64)
    }

    private func statuses(_ s: OpaquePointer, _ id: String) throws -> [String: Int64] {
        let st = try stats(s, id)
        return (st["by_status"] as? [String: Any] ?? [:]).compactMapValues(int64)
    }

    /// A token deleted by another handle after its requests were counted here is not found at once.
    func testADeletedTokenIsNotFoundRightAfterItWasCounted() throws {
        let path = tempPath()
        let gateway = try seededStore(path: path)
        let console = try openStore(path: path)
        let t = try create(gateway, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(gateway, t.secret, "tickets:read"), TA_OK)
        assertStatus(ta_record_usage(gateway, t.id, "GET /a", 200), TA_OK)
        assertStatus(ta_record_usage(gateway, t.id, "GET /a", 200), TA_OK)
        assertStatus(ta_token_delete(console, Members.alice, t.id), TA_OK)
        assertFails(ta_record_usage(gateway, t.id, "GET /a", 200), TA_NOT_FOUND, "deleted by another handle")
    }

    /// The same for a token this handle never verified (its existence came from the database).
    func testADeletedTokenNeverVerifiedHereIsNotFound() throws {
        let path = tempPath()
        let gateway = try seededStore(path: path)
        let console = try openStore(path: path)
        let t = try create(console, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_record_usage(gateway, t.id, "GET /a", 200), TA_OK)
        assertStatus(ta_record_usage(gateway, t.id, "GET /a", 200), TA_OK)
        assertStatus(ta_token_delete(console, Members.alice, t.id), TA_OK)
        assertFails(ta_record_usage(gateway, t.id, "GET /a", 200), TA_NOT_FOUND, "deleted by another handle")
    }

    /// A revoked token still exists: what the gateway did with its last requests is recorded.
    func testARevokedTokenIsStillRecorded() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK)
        assertStatus(ta_token_revoke(s, Members.alice, t.id), TA_OK)
        assertStatus(ta_record_usage(s, t.id, "GET /a", 200), TA_OK)
        XCTAssertEqual(try operations(s, t.id), ["GET /a": 1])
    }

    /// Several operations, statuses and days for one token, with and without a verification first.
    func testOperationsStatusesAndDaysAreCountedApart() throws {
        let s = try seededStore()
        let verified = try create(s, actor: Members.alice, scopes: "tickets:read")
        let never = try create(s, actor: Members.alice, scopes: "tickets:read")  // never verified here
        assertVerdict(verify(s, verified.secret, "tickets:read"), TA_OK)
        for token in [verified, never] {
            for _ in 0..<3 { assertStatus(ta_record_usage(s, token.id, "GET /a", 200), TA_OK) }
            assertStatus(ta_record_usage(s, token.id, "GET /a", 404), TA_OK)
            assertStatus(ta_record_usage(s, token.id, "POST /a", 201), TA_OK)
            ta_set_clock(s, T0 + DAY)
            assertStatus(ta_record_usage(s, token.id, "GET /a", 200), TA_OK)
            ta_set_clock(s, T0)
        }
        for token in [verified, never] {
            XCTAssertEqual(try operations(s, token.id), ["GET /a": 5, "POST /a": 1], token.id)
            XCTAssertEqual(try statuses(s, token.id), ["200": 4, "404": 1, "201": 1], token.id)
            let secondDay = try stats(s, token.id, since: T0 + DAY)
            XCTAssertEqual((secondDay["by_operation"] as? [String: Any]).map { $0.compactMapValues(int64) },
                           ["GET /a": 1], "the next day's counts, \(token.id)")
        }
    }

    /// Two threads record the same tokens while the background flush runs every 10 ms: every
    /// request is counted once.
    func testNothingIsLostAcrossThreadsAndFlushes() throws {
        let path = tempPath()
        let s = try seededStore(path: path)
        closeStore(s)
        let store = try openStore(path: path, flushMs: 10)
        let tokens = try (0..<8).map { _ in try create(store, actor: Members.alice, scopes: "tickets:read") }
        for t in tokens { assertVerdict(verify(store, t.secret, "tickets:read"), TA_OK) }
        let perThread = 4000
        let shared = UnsafeSendable(store), ids = tokens.map(\.id)
        let failures = LockedBox<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            for i in 0..<perThread {
                let id = ids[(i + thread) % ids.count]
                let operation = i % 3 == 0 ? "POST /t" : "GET /t"
                if ta_record_usage(shared.value, id, operation, i % 5 == 0 ? 503 : 200) != TA_OK {
                    failures.update { $0 += 1 }
                }
            }
        }
        XCTAssertEqual(failures.get(), 0)
        assertStatus(ta_flush(store), TA_OK)
        var total: Int64 = 0, errors: Int64 = 0
        for t in tokens {
            total += try operations(store, t.id).values.reduce(0, +)
            errors += try statuses(store, t.id)["503"] ?? 0
        }
        XCTAssertEqual(total, Int64(2 * perThread))
        XCTAssertEqual(errors, Int64(2 * perThread / 5))
    }

    /// The background flush writes recorded usage within usage_flush_ms: another handle sees it
    /// without anyone calling ta_flush.
    func testRecordedUsageIsWrittenByTheBackgroundFlush() throws {
        let path = tempPath()
        let s = try seededStore(path: path)
        closeStore(s)
        let gateway = try openStore(path: path, flushMs: 50, clock: nil)
        let console = try openStore(path: path, clock: nil)
        let t = try create(gateway, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(gateway, t.secret, "tickets:read"), TA_OK)
        assertStatus(ta_record_usage(gateway, t.id, "GET /late", 200), TA_OK)
        let deadline = Date().addingTimeInterval(5)
        var seen: [String: Int64] = [:]
        while Date() < deadline {
            seen = try operations(console, t.id)
            if !seen.isEmpty { break }
            usleep(20_000)
        }
        XCTAssertEqual(seen, ["GET /late": 1])
    }
}
