// Usage: use counts, last use, per-day counts, scopes used, denials, ta_record_usage, since_ms,
// flushing, persistence, and the aggregated verify.denied audit entries.

import CTokenAuth
import Foundation
import XCTest

final class UsageStatsTests: ABITestCase {
    func testUseCountsDaysAndScopes() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:write assets:read")
        // 2024-03-10: two uses with tickets:read, one denial.
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK)
        ta_set_clock(s, T0 + MINUTE)
        assertVerdict(verify(s, "Bearer " + t.secret, "tickets:read"), TA_OK)
        assertVerdict(verify(s, t.secret, "users:read"), TA_FORBIDDEN)
        // 2024-03-11: one use with tickets:write, one without scopes.
        ta_set_clock(s, T0 + DAY)
        assertVerdict(verify(s, t.secret, "tickets:write"), TA_OK)
        ta_set_clock(s, T0 + DAY + HOUR)
        assertVerdict(verify(s, t.secret), TA_OK)

        let st = try stats(s, actor: Members.alice, t.id)
        XCTAssertEqual(st["token_id"] as? String, t.id)
        XCTAssertEqual(int64(st["use_count"]), 4)
        XCTAssertEqual(int64(st["denied_count"]), 1)
        XCTAssertEqual(int64(st["last_used_at"]), T0 + DAY + HOUR)
        let byDay = st["by_day"] as? [String: Any] ?? [:]
        XCTAssertEqual(Set(byDay.keys), ["2024-03-10", "2024-03-11"])
        XCTAssertEqual(int64(byDay["2024-03-10"]), 2)
        XCTAssertEqual(int64(byDay["2024-03-11"]), 2)
        XCTAssertEqual(Set(strings(st["scopes_used"]) ?? []), ["tickets:read", "tickets:write"])
        XCTAssertNotNil(st["by_operation"] as? [String: Any])
        XCTAssertNotNil(st["by_status"] as? [String: Any])

        // The token object agrees.
        let j = try tokenGet(s, t.id)
        XCTAssertEqual(int64(j["use_count"]), 4)
        XCTAssertEqual(int64(j["last_used_at"]), T0 + DAY + HOUR)
    }

    func testSinceSelectsWholeUTCDays() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:write")
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK)          // 03-10 12:00
        assertVerdict(verify(s, t.secret, "users:read"), TA_FORBIDDEN)     // denial on 03-10
        ta_set_clock(s, T0 + DAY)                                          // 03-11 12:00
        assertVerdict(verify(s, t.secret, "tickets:write"), TA_OK)
        ta_set_clock(s, T0 + 3 * DAY)

        // since = 2024-03-11T17:00Z selects the whole of 2024-03-11, including 12:00.
        let st = try stats(s, t.id, since: T0 + DAY + 5 * HOUR)
        XCTAssertEqual(int64(st["use_count"]), 1)
        XCTAssertEqual(int64(st["denied_count"]), 0)
        XCTAssertEqual((st["by_day"] as? [String: Any]).map { Set($0.keys) }, ["2024-03-11"])
        XCTAssertEqual(strings(st["scopes_used"]), ["tickets:write"])
        XCTAssertEqual(int64(st["last_used_at"]), T0 + DAY, "exact, whatever since_ms")

        // since = the start of 2024-03-10 (00:00Z) and since in the middle of it: both days.
        let startOfDay = T0 - 12 * HOUR
        for since in [startOfDay, T0 + 11 * HOUR + 59 * MINUTE] {
            let all = try stats(s, t.id, since: since)
            XCTAssertEqual(int64(all["use_count"]), 2, "since \(since)")
            XCTAssertEqual(int64(all["denied_count"]), 1, "since \(since)")
        }
        // 1 ms before 2024-03-10 starts selects 2024-03-09 onwards: same.
        XCTAssertEqual(int64(try stats(s, t.id, since: startOfDay - 1)["use_count"]), 2)
        // After the last use: nothing counted, last use still exact.
        let none = try stats(s, t.id, since: T0 + 2 * DAY)
        XCTAssertEqual(int64(none["use_count"]), 0)
        XCTAssertEqual((none["by_day"] as? [String: Any])?.count, 0)
        XCTAssertEqual(strings(none["scopes_used"]), [])
        XCTAssertEqual(int64(none["last_used_at"]), T0 + DAY)
    }

    func testNeverUsed() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let st = try stats(s, t.id)
        XCTAssertEqual(int64(st["use_count"]), 0)
        XCTAssertEqual(int64(st["denied_count"]), 0)
        XCTAssertTrue(isNull(st, "last_used_at"))
        XCTAssertEqual((st["by_day"] as? [String: Any])?.count, 0)
        XCTAssertEqual((st["by_operation"] as? [String: Any])?.count, 0)
        XCTAssertEqual((st["by_status"] as? [String: Any])?.count, 0)
        XCTAssertEqual(strings(st["scopes_used"]), [])
        XCTAssertTrue(isNull(try tokenGet(s, t.id), "last_used_at"))
    }

    func testRecordUsage() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_record_usage(s, t.id, "GET /api/tickets", 200), TA_OK)
        XCTAssertEqual(lastError(), "")
        assertStatus(ta_record_usage(s, t.id, "GET /api/tickets", 200), TA_OK)
        assertStatus(ta_record_usage(s, t.id, "POST /api/tickets", 201), TA_OK)
        assertStatus(ta_record_usage(s, t.id, "GET /api/tickets", 503), TA_OK)
        assertStatus(ta_record_usage(s, t.id, "x", 100), TA_OK)
        assertStatus(ta_record_usage(s, t.id, String(repeating: "o", count: 200), 599), TA_OK)
        assertStatus(ta_record_usage(s, t.id, "GET /ünïcode", 404), TA_OK)
        let st = try stats(s, actor: Members.alice, t.id)
        let ops = st["by_operation"] as? [String: Any] ?? [:]
        XCTAssertEqual(int64(ops["GET /api/tickets"]), 3)
        XCTAssertEqual(int64(ops["POST /api/tickets"]), 1)
        XCTAssertEqual(int64(ops["x"]), 1)
        XCTAssertEqual(int64(ops[String(repeating: "o", count: 200)]), 1)
        XCTAssertEqual(int64(ops["GET /ünïcode"]), 1)
        let byStatus = st["by_status"] as? [String: Any] ?? [:]
        XCTAssertEqual(int64(byStatus["200"]), 2)
        XCTAssertEqual(int64(byStatus["201"]), 1)
        XCTAssertEqual(int64(byStatus["503"]), 1)
        XCTAssertEqual(int64(byStatus["100"]), 1)
        XCTAssertEqual(int64(byStatus["599"]), 1)
        XCTAssertEqual(int64(byStatus["404"]), 1)
        // Recording is not a verification.
        XCTAssertEqual(int64(st["use_count"]), 0)
        // Per UTC day: a later since excludes them.
        let later = try stats(s, t.id, since: T0 + DAY)
        XCTAssertEqual((later["by_operation"] as? [String: Any])?.count, 0)
        XCTAssertEqual((later["by_status"] as? [String: Any])?.count, 0)
    }

    func testRecordUsageBadArguments() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertFails(ta_record_usage(s, t.id, nil, 200), TA_INVALID_ARGUMENT, "operation NULL")
        assertFails(ta_record_usage(s, t.id, "", 200), TA_INVALID_ARGUMENT, "operation empty")
        assertFails(ta_record_usage(s, t.id, String(repeating: "o", count: 201), 200), TA_INVALID_ARGUMENT, "201 bytes")
        assertFails(ta_record_usage(s, t.id, String(repeating: "é", count: 101), 200), TA_INVALID_ARGUMENT, "202 bytes")
        assertFails(ta_record_usage(s, t.id, oneMiB, 200), TA_INVALID_ARGUMENT, "1 MiB")
        for code: Int32 in [99, 600, 0, -1, Int32.min, Int32.max] {
            assertFails(ta_record_usage(s, t.id, "GET /", code), TA_INVALID_ARGUMENT, "http_status \(code)")
        }
        withCArgs([.bytes(invalidUTF8)]) { p in
            assertFails(ta_record_usage(s, t.id, p[0], 200), TA_INVALID_ARGUMENT, "invalid UTF-8 operation")
        }
        assertFails(ta_record_usage(s, "tok_0000000000000000", "GET /", 200), TA_NOT_FOUND, "unknown token id")
        assertFails(ta_record_usage(s, nil, "GET /", 200), TA_INVALID_ARGUMENT, "token id NULL")
        assertFails(ta_record_usage(s, "bad id", "GET /", 200), TA_INVALID_ARGUMENT, "malformed token id")
        assertFails(ta_record_usage(nil, t.id, "GET /", 200), TA_INVALID_ARGUMENT, "store NULL")
        let st = try stats(s, t.id)
        XCTAssertEqual((st["by_operation"] as? [String: Any])?.count, 0, "a refused call recorded something")
        XCTAssertEqual((st["by_status"] as? [String: Any])?.count, 0)
    }

    /// A token whose requests are being counted (the quick path of the call) gets the same checks.
    func testRecordUsageBadArgumentsOfACountedToken() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_record_usage(s, t.id, "GET /", 200), TA_OK)
        assertFails(ta_record_usage(s, t.id, "", 200), TA_INVALID_ARGUMENT, "operation empty")
        assertFails(ta_record_usage(s, t.id, String(repeating: "o", count: 201), 200), TA_INVALID_ARGUMENT, "201 bytes")
        withCArgs([.bytes(invalidUTF8)]) { p in
            assertFails(ta_record_usage(s, t.id, p[0], 200), TA_INVALID_ARGUMENT, "invalid UTF-8 operation")
        }
        for code: Int32 in [99, 600, 0, -1] {
            assertFails(ta_record_usage(s, t.id, "GET /", code), TA_INVALID_ARGUMENT, "http_status \(code)")
        }
        assertFails(ta_record_usage(s, t.id + "!", "GET /", 200), TA_INVALID_ARGUMENT, "malformed token id")
        let st = try stats(s, actor: Members.alice, t.id)
        let ops = st["by_operation"] as? [String: Any] ?? [:]
        let byStatus = st["by_status"] as? [String: Any] ?? [:]
        XCTAssertEqual(ops.count, 1, "a refused call recorded something: \(ops)")
        XCTAssertEqual(int64(ops["GET /"]), 1)
        XCTAssertEqual(byStatus.count, 1, "a refused call recorded something: \(byStatus)")
        XCTAssertEqual(int64(byStatus["200"]), 1)
    }

    func testUsageSurvivesCloseAndReopen() throws {
        let path = tempPath()
        var s = try seededStore(path: path)
        let t = try create(s, actor: Members.alice, scopes: "tickets:write")
        for _ in 0..<3 { assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK) }
        assertVerdict(verify(s, t.secret, "users:read"), TA_FORBIDDEN)
        assertStatus(ta_record_usage(s, t.id, "GET /x", 200), TA_OK)
        closeStore(s)  // flushes
        s = try openStore(path: path)
        let st = try stats(s, t.id)
        XCTAssertEqual(int64(st["use_count"]), 3)
        XCTAssertEqual(int64(st["denied_count"]), 1)
        XCTAssertEqual(int64(st["last_used_at"]), T0)
        XCTAssertEqual(strings(st["scopes_used"]), ["tickets:read"])
        XCTAssertEqual(int64((st["by_operation"] as? [String: Any])?["GET /x"]), 1)
        XCTAssertEqual(events(s, "event=verify.denied").count, 1)
    }

    func testFlushMakesUsageVisibleToAnotherHandle() throws {
        let path = tempPath()
        let a = try seededStore(path: path)
        let b = try openStore(path: path)
        let t = try create(a, actor: Members.alice, scopes: "tickets:read")
        for _ in 0..<5 { assertVerdict(verify(a, t.secret, "tickets:read"), TA_OK) }
        assertStatus(ta_record_usage(a, t.id, "GET /y", 204), TA_OK)
        assertStatus(ta_flush(a), TA_OK)
        let st = try stats(b, t.id)
        XCTAssertEqual(int64(st["use_count"]), 5)
        XCTAssertEqual(int64((st["by_status"] as? [String: Any])?["204"]), 1)
    }

    /// One flush of many tokens gives each its own counts: the usage tables are written in id order,
    /// then the tokens' counters in the order of their rows' keys (digests).
    func testOneFlushWritesEachTokenOfABatchToItsOwnRow() throws {
        let path = tempPath()
        let a = try seededStore(path: path)
        let b = try openStore(path: path)
        let tokens = try (0..<300).map { try create(a, actor: Members.alice, name: "t\($0)", scopes: "tickets:write") }
        for (i, t) in tokens.enumerated() {
            ta_set_clock(a, T0 + Int64(i) * MINUTE)
            for _ in 0...(i % 4) { assertVerdict(verify(a, t.secret, i % 2 == 0 ? "tickets:read" : "tickets:write"), TA_OK) }
        }
        assertStatus(ta_flush(a), TA_OK)
        for (i, t) in tokens.enumerated() {
            let st = try stats(b, t.id)
            XCTAssertEqual(int64(st["use_count"]), Int64(i % 4 + 1), t.id)
            XCTAssertEqual(int64(st["last_used_at"]), T0 + Int64(i) * MINUTE, t.id)
            XCTAssertEqual(strings(st["scopes_used"]), [i % 2 == 0 ? "tickets:read" : "tickets:write"], t.id)
        }
    }

    func testVerifyDeniedIsAggregated() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_token_revoke(s, Members.alice, t.id), TA_OK)
        ta_set_clock(s, T0 + SECOND)
        for i in 0..<3 {
            ta_set_clock(s, T0 + SECOND + Int64(i) * 10 * SECOND)
            assertVerdict(verify(s, t.secret), TA_REVOKED)
        }
        var e = events(s, "event=verify.denied token=\(t.id)")
        XCTAssertEqual(e.count, 1, "3 denials in one minute = one entry")
        if let x = e.first {
            XCTAssertEqual(x["actor"] as? String, Members.alice, "actor = the verdict's subject")
            XCTAssertEqual(int64(x["at"]), T0 + SECOND, "\"at\" is the first denial")
            let d = detail(x)
            XCTAssertEqual(d["status"] as? String, "TA_REVOKED")
            XCTAssertEqual(int64(d["http_status"]), 401)
            XCTAssertEqual(int64(d["count"]), 3)
            XCTAssertEqual(int64(d["first_at"]), T0 + SECOND)
            XCTAssertEqual(int64(d["last_at"]), T0 + 21 * SECOND)
            XCTAssertNil(d["missing_scope"])
        }
        // The next UTC minute starts a new entry.
        ta_set_clock(s, T0 + MINUTE)
        assertVerdict(verify(s, t.secret), TA_REVOKED)
        e = events(s, "event=verify.denied token=\(t.id)")
        XCTAssertEqual(e.count, 2)
        XCTAssertEqual(int64(detail(e.first ?? [:])["count"]), 1)
        XCTAssertEqual(int64(try stats(s, t.id)["denied_count"]), 4)
    }

    func testVerifyDeniedPerStatusAndMissingScope() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(s, t.secret, "users:read"), TA_FORBIDDEN)
        assertVerdict(verify(s, t.secret, "assets:read"), TA_FORBIDDEN)
        assertStatus(ta_token_set_active(s, Members.alice, t.id, false), TA_OK)
        assertVerdict(verify(s, t.secret), TA_INACTIVE)
        let e = events(s, "event=verify.denied token=\(t.id)")
        XCTAssertEqual(e.count, 2, "one entry per (token, status, minute)")
        let forbidden = e.first { detail($0)["status"] as? String == "TA_FORBIDDEN" }
        let fd = detail(forbidden ?? [:])
        XCTAssertEqual(int64(fd["count"]), 2)
        XCTAssertEqual(int64(fd["http_status"]), 403)
        XCTAssertEqual(fd["missing_scope"] as? String, "users:read", "the first missing scope")
        let inactive = e.first { detail($0)["status"] as? String == "TA_INACTIVE" }
        XCTAssertEqual(int64(detail(inactive ?? [:])["http_status"]), 403)
    }

    func testVerifyDeniedActors() throws {
        let s = try seededStore()
        let sv = try service(s, scopes: "tickets:read")
        assertVerdict(verify(s, sv.secret, "users:read"), TA_FORBIDDEN)
        let se = events(s, "event=verify.denied token=\(sv.id)")
        XCTAssertEqual(se.first?["actor"] as? String, sv.id, "a service token's subject is its id")
        putMember(s, "dana", "tickets:read ManagePersonalAccessTokens")
        let p = try create(s, actor: "dana", scopes: "tickets:read")
        removeMember(s, "dana")
        assertVerdict(verify(s, p.secret), TA_REVOKED)
        let pe = events(s, "event=verify.denied token=\(p.id)")
        XCTAssertEqual(pe.count, 1)
        if let x = pe.first { XCTAssertTrue(isNull(x, "actor"), "subject \"\" → actor null: \(x)") }
    }

    func testDayAndMinuteBoundaries() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let midnight = T0 + 12 * HOUR  // 2024-03-11T00:00:00Z
        ta_set_clock(s, midnight - 1)
        assertVerdict(verify(s, t.secret), TA_OK)
        ta_set_clock(s, midnight)
        assertVerdict(verify(s, t.secret), TA_OK)
        assertVerdict(verify(s, t.secret), TA_OK)
        let byDay = try stats(s, t.id)["by_day"] as? [String: Any] ?? [:]
        XCTAssertEqual(int64(byDay["2024-03-10"]), 1, "23:59:59.999 belongs to 2024-03-10")
        XCTAssertEqual(int64(byDay["2024-03-11"]), 2)
        XCTAssertEqual(int64(try stats(s, t.id, since: midnight)["use_count"]), 2)
        XCTAssertEqual(int64(try stats(s, t.id, since: midnight - 1)["use_count"]), 3)

        // verify.denied: 11:59:59.999 and 12:00:00.000 are different UTC minutes.
        assertStatus(ta_token_set_active(s, Members.alice, t.id, false), TA_OK)
        ta_set_clock(s, midnight + MINUTE - 1)
        assertVerdict(verify(s, t.secret), TA_INACTIVE)
        ta_set_clock(s, midnight + MINUTE)
        assertVerdict(verify(s, t.secret), TA_INACTIVE)
        let e = events(s, "event=verify.denied token=\(t.id)")
        XCTAssertEqual(e.count, 2, "a minute boundary splits the aggregation")
        XCTAssertEqual(e.compactMap { int64($0["at"]) }, [midnight + MINUTE, midnight + MINUTE - 1])
    }

    func testDenialsFlushedSeparatelyAddToTheSameEntry() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_token_revoke(s, Members.alice, t.id), TA_OK)
        assertVerdict(verify(s, t.secret), TA_REVOKED)
        assertStatus(ta_flush(s), TA_OK)
        ta_set_clock(s, T0 + 10 * SECOND)
        assertVerdict(verify(s, t.secret), TA_REVOKED)
        assertStatus(ta_flush(s), TA_OK)
        _ = events(s)  // a read in between flushes too
        ta_set_clock(s, T0 + 20 * SECOND)
        assertVerdict(verify(s, t.secret), TA_REVOKED)
        let e = events(s, "event=verify.denied token=\(t.id)")
        XCTAssertEqual(e.count, 1)
        let d = detail(e.first ?? [:])
        XCTAssertEqual(int64(d["count"]), 3)
        XCTAssertEqual(int64(d["first_at"]), T0)
        XCTAssertEqual(int64(d["last_at"]), T0 + 20 * SECOND)
    }

    /// usage_flush_ms bounds how long usage waits in memory, even when the handle makes no
    /// further call. (Wall clock: the only test here that sleeps, 0.4 s.)
    func testUsageIsWrittenWithinTheFlushInterval() throws {
        let path = tempPath()
        let a = try seededStore(path: path)
        let t = try create(a, actor: Members.alice, scopes: "tickets:read")
        closeStore(a)
        let writer = try openStore(path: path, flushMs: 50, clock: nil)
        let reader = try openStore(path: path, clock: nil)
        for _ in 0..<3 { assertVerdict(verify(writer, t.secret), TA_OK) }
        Thread.sleep(forTimeInterval: 0.4)
        XCTAssertEqual(int64(try stats(reader, t.id)["use_count"]), 3,
                       "usage still unwritten 400 ms after verifications with usage_flush_ms = 50")
    }

    func testUnknownAndMalformedVerificationsAreNotAudited() throws {
        let s = try seededStore()
        _ = verify(s, fabricateToken())
        _ = verify(s, "junk")
        XCTAssertEqual(events(s, "event=verify.denied").count, 0)
    }

    func testManyThreadsVerifyingOneStore() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let failures = LockedBox(0)
        let store = UnsafeSendable(s)
        let secret = t.secret
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<100 {
                var v = ta_verdict()
                if ta_verify(store.value, secret, "tickets:read", &v) != TA_OK { failures.update { $0 += 1 } }
            }
        }
        XCTAssertEqual(failures.get(), 0)
        XCTAssertEqual(int64(try stats(s, t.id)["use_count"]), 400, "uses lost under concurrency")
    }
}

/// Passes a store pointer into concurrent test code (the contract makes ta_store thread-safe).
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}
