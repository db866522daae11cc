// Token-bucket rate limiting: capacity, continuous refill, 429 verdicts, defaults from ta_config.

import CTokenAuth
import Foundation
import XCTest

final class RateLimitTests: ABITestCase {
    func testBucketOfThreePerSecond() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read", rate: 3, window: 1000)
        var remaining: [UInt32] = []
        for i in 0..<3 {
            let v = verify(s, t.secret, "tickets:read")
            assertVerdict(v, TA_OK, "request \(i + 1)")
            XCTAssertEqual(v.rate_limit, 3)
            remaining.append(v.rate_remaining)
            XCTAssertGreaterThan(v.rate_reset_ms, 0)
            XCTAssertLessThanOrEqual(v.rate_reset_ms, 1000)
        }
        XCTAssertEqual(remaining, [2, 1, 0])
        let v = verify(s, t.secret, "tickets:read")
        assertVerdict(v, TA_RATE_LIMITED)
        XCTAssertEqual(v.http_status, 429)
        XCTAssertEqual(ta_status_http(v.status), 429)
        XCTAssertGreaterThan(v.retry_after_ms, 0)
        XCTAssertLessThanOrEqual(v.retry_after_ms, 334, "one unit comes back after 1000/3 ms")
        XCTAssertEqual(v.rate_remaining, 0)
        XCTAssertEqual(v.rate_limit, 3)
        XCTAssertGreaterThan(v.rate_reset_ms, 666)
        XCTAssertLessThanOrEqual(v.rate_reset_ms, 1000, "the bucket is full again 1000 ms after it emptied")
        XCTAssertEqual(v.tokenID, t.id)
        XCTAssertEqual(v.subjectID, Members.alice)
        if let body = ta_error_json(v.status) {
            XCTAssertEqual(String(cString: body), #"{"success":false,"errors":["Too Many Requests"],"data":null}"#)
        }
        // Part of a unit back: still limited, with a shorter wait.
        ta_set_clock(s, T0 + 200)
        let w = verify(s, t.secret)
        assertVerdict(w, TA_RATE_LIMITED)
        XCTAssertGreaterThan(w.retry_after_ms, 0)
        XCTAssertLessThanOrEqual(w.retry_after_ms, 134)
        // One unit back.
        ta_set_clock(s, T0 + 334)
        let x = verify(s, t.secret)
        assertVerdict(x, TA_OK, "refilled continuously")
        XCTAssertEqual(x.rate_remaining, 0)
        assertVerdict(verify(s, t.secret), TA_RATE_LIMITED)
        // Full again long after.
        ta_set_clock(s, T0 + 5000)
        let full = verify(s, t.secret)
        assertVerdict(full, TA_OK)
        XCTAssertEqual(full.rate_remaining, 2, "capacity caps the refill at rate_limit")
        assertVerdict(verify(s, t.secret), TA_OK)
        assertVerdict(verify(s, t.secret), TA_OK)
        assertVerdict(verify(s, t.secret), TA_RATE_LIMITED)
    }

    func testResetTimeAfterOneUnit() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read", rate: 3, window: 1000)
        let v = verify(s, t.secret)
        assertVerdict(v, TA_OK)
        XCTAssertEqual(v.rate_remaining, 2)
        XCTAssertGreaterThan(v.rate_reset_ms, 0)
        XCTAssertLessThanOrEqual(v.rate_reset_ms, 334, "one unit short of full")
    }

    func testOnlyVerificationsPassingEveryOtherCheckSpend() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read", rate: 3, window: 1000)
        for _ in 0..<5 {
            let v = verify(s, t.secret, "users:read")
            assertVerdict(v, TA_FORBIDDEN)
            XCTAssertEqual(v.rate_limit, 3)
            XCTAssertEqual(v.rate_remaining, 3, "reported without spending for a denial")
            XCTAssertEqual(v.rate_reset_ms, 0, "a full bucket needs no time to be full")
            XCTAssertEqual(v.retry_after_ms, 0)
        }
        assertStatus(ta_token_set_active(s, Members.alice, t.id, false), TA_OK)
        for _ in 0..<5 { assertVerdict(verify(s, t.secret), TA_INACTIVE) }
        assertStatus(ta_token_set_active(s, Members.alice, t.id, true), TA_OK)
        setMemberActive(s, Members.alice, false)
        for _ in 0..<5 { assertVerdict(verify(s, t.secret), TA_OWNER_INACTIVE) }
        setMemberActive(s, Members.alice, true)
        // Malformed and bad-argument calls do not touch the bucket either.
        for _ in 0..<5 {
            assertVerdict(verify(s, t.secret, "BAD SCOPE"), TA_INVALID_ARGUMENT)
            assertVerdict(verify(s, " " + t.secret), TA_MALFORMED)
        }
        for i in 0..<3 { assertVerdict(verify(s, t.secret), TA_OK, "unit \(i + 1) of 3 still there") }
        assertVerdict(verify(s, t.secret), TA_RATE_LIMITED)
    }

    func testRateLimitedIsADenial() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read", rate: 1, window: 60_000)
        assertVerdict(verify(s, t.secret), TA_OK)
        assertVerdict(verify(s, t.secret), TA_RATE_LIMITED)
        assertVerdict(verify(s, t.secret), TA_RATE_LIMITED)
        let st = try stats(s, t.id)
        XCTAssertEqual(int64(st["use_count"]), 1)
        XCTAssertEqual(int64(st["denied_count"]), 2)
        let e = events(s, "event=verify.denied token=\(t.id)")
        XCTAssertEqual(e.count, 1)
        let d = detail(e.first ?? [:])
        XCTAssertEqual(d["status"] as? String, "TA_RATE_LIMITED")
        XCTAssertEqual(int64(d["http_status"]), 429)
        XCTAssertEqual(int64(d["count"]), 2)
    }

    func testDefaultRateLimitFromConfig() throws {
        let path = tempPath()
        var s = try seededStore(path: path, rateLimit: 2, rateWindow: 1000)
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let own = try create(s, actor: Members.alice, scopes: "tickets:read", rate: 5, window: 0)
        let j = try tokenGet(s, t.id)
        let rl = j["rate_limit"] as? [String: Any]
        XCTAssertEqual(int64(rl?["limit"]), 2)
        XCTAssertEqual(int64(rl?["window_ms"]), 1000)
        let rl2 = try tokenGet(s, own.id)["rate_limit"] as? [String: Any]
        XCTAssertEqual(int64(rl2?["limit"]), 5, "an explicit limit wins")
        XCTAssertEqual(int64(rl2?["window_ms"]), 1000, "window 0 = the store's default window")
        let v = verify(s, t.secret)
        XCTAssertEqual(v.rate_limit, 2)
        assertVerdict(verify(s, t.secret), TA_OK)
        assertVerdict(verify(s, t.secret), TA_RATE_LIMITED)
        // Resolved at creation and stored: a handle with another default does not change it. The
        // bucket is the host's: a new handle finds it as the old one left it.
        closeStore(s)
        s = try openStore(path: path, rateLimit: 0, clock: T0 + 1000)
        let after = try tokenGet(s, t.id)["rate_limit"] as? [String: Any]
        XCTAssertEqual(int64(after?["limit"]), 2)
        assertVerdict(verify(s, t.secret), TA_OK)
        assertVerdict(verify(s, t.secret), TA_OK)
        assertVerdict(verify(s, t.secret), TA_RATE_LIMITED)
        // And tokens created through the new handle are unlimited.
        let u = try create(s, actor: Members.alice, scopes: "tickets:read")
        XCTAssertTrue(isNull(try tokenGet(s, u.id), "rate_limit"))
        for _ in 0..<20 { assertVerdict(verify(s, u.secret), TA_OK) }
        XCTAssertEqual(verify(s, u.secret).rate_limit, 0)
    }

    func testDefaultWindowIsOneMinute() throws {
        let s = try seededStore(rateLimit: 5, rateWindow: 0)
        let t = try service(s, scopes: "tickets:read")
        let rl = try tokenGet(s, t.id)["rate_limit"] as? [String: Any]
        XCTAssertEqual(int64(rl?["limit"]), 5)
        XCTAssertEqual(int64(rl?["window_ms"]), 60_000)
        let own = try service(s, scopes: "tickets:read", rate: 1, window: 0)
        XCTAssertEqual(int64((try tokenGet(s, own.id)["rate_limit"] as? [String: Any])?["window_ms"]), 60_000)
    }

    func testExplicitWindowWithoutLimitUsesDefaultLimit() throws {
        let s = try seededStore(rateLimit: 4, rateWindow: 1000)
        let t = try service(s, scopes: "tickets:read", rate: 0, window: 500)
        let rl = try tokenGet(s, t.id)["rate_limit"] as? [String: Any]
        XCTAssertEqual(int64(rl?["limit"]), 4, "rate_limit 0 = the store's default")
    }

    /// A clock stepping back (NTP, a restored snapshot) neither refills the bucket nor locks the token
    /// out for the length of the step: the bucket keeps its level and refills from the new reading.
    func testClockMovingBackRefillsNothingAndLocksNothingOut() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read", rate: 2, window: 1000)
        let t1 = T0 + 10 * SECOND
        ta_set_clock(s, t1)
        assertVerdict(verify(s, t.secret), TA_OK)
        assertVerdict(verify(s, t.secret), TA_OK)
        assertVerdict(verify(s, t.secret), TA_RATE_LIMITED)
        let back = t1 - HOUR
        ta_set_clock(s, back)
        let v = verify(s, t.secret)
        assertVerdict(v, TA_RATE_LIMITED, "the clock moved back an hour: nothing refilled")
        XCTAssertEqual(v.rate_remaining, 0)
        XCTAssertLessThanOrEqual(v.retry_after_ms, 500, "a unit is 500 ms away, not an hour and 500 ms")
        XCTAssertLessThanOrEqual(v.rate_reset_ms, 1000)
        ta_set_clock(s, back + 499)
        assertVerdict(verify(s, t.secret), TA_RATE_LIMITED, "499 ms after the step: not yet a unit")
        ta_set_clock(s, back + 510)
        assertVerdict(verify(s, t.secret), TA_OK, "510 ms after the step: one unit, not an hour later")
        assertVerdict(verify(s, t.secret), TA_RATE_LIMITED, "and only one")
    }

    func testBucketsAreIndependentPerToken() throws {
        let s = try seededStore()
        let a = try create(s, actor: Members.alice, scopes: "tickets:read", rate: 1, window: 60_000)
        let b = try create(s, actor: Members.alice, scopes: "tickets:read", rate: 1, window: 60_000)
        assertVerdict(verify(s, a.secret), TA_OK)
        assertVerdict(verify(s, a.secret), TA_RATE_LIMITED)
        assertVerdict(verify(s, b.secret), TA_OK)
    }

    func testUnlimitedToken() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        for _ in 0..<200 {
            let v = verify(s, t.secret)
            if v.status != TA_OK { assertVerdict(v, TA_OK); break }
            XCTAssertEqual(v.rate_limit, 0)
            XCTAssertEqual(v.retry_after_ms, 0)
        }
    }

    func testHugeLimitsDoNotOverflow() throws {
        let s = try seededStore()
        let t = try service(s, scopes: "tickets:read", rate: UInt32.max, window: UInt32.max)
        let v = verify(s, t.secret)
        assertVerdict(v, TA_OK)
        XCTAssertEqual(v.rate_limit, UInt32.max)
        XCTAssertEqual(v.rate_remaining, UInt32.max - 1)
        let u = try service(s, scopes: "tickets:read", rate: 1, window: UInt32.max)
        assertVerdict(verify(s, u.secret), TA_OK)
        let w = verify(s, u.secret)
        assertVerdict(w, TA_RATE_LIMITED)
        XCTAssertGreaterThan(w.retry_after_ms, 0)
        XCTAssertLessThanOrEqual(w.retry_after_ms, Int64(UInt32.max))
    }
}
