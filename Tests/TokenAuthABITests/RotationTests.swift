// ta_token_rotate: grace periods, what the new token inherits, links, and refusals.

import CTokenAuth
import Foundation
import XCTest

final class RotationTests: ABITestCase {
    func testRotationWithoutGraceRevokesAtOnce() throws {
        let s = try seededStore()
        let old = try create(s, actor: Members.alice, name: "ci", scopes: "tickets:write assets:read", rate: 5, window: 2000)
        ta_set_clock(s, T0 + HOUR)
        let new = try rotate(s, actor: Members.alice, old.id)
        XCTAssertNotEqual(new.id, old.id)
        XCTAssertNotEqual(new.secret, old.secret)
        XCTAssertTrue(new.secret.hasPrefix("tkap_"))
        XCTAssertEqual(String(new.secret.suffix(6)), base62Checksum(String(new.secret.dropLast(6))))
        assertVerdict(verify(s, old.secret), TA_REVOKED)
        let v = verify(s, new.secret, "tickets:write assets:read tickets:read")
        assertVerdict(v, TA_OK)
        XCTAssertEqual(v.subjectID, Members.alice)
        XCTAssertEqual(v.rate_limit, 5)

        let o = try tokenGet(s, old.id)
        let n = try tokenGet(s, new.id)
        XCTAssertEqual(o["status"] as? String, "revoked")
        XCTAssertEqual(o["rotated_to"] as? String, new.id)
        XCTAssertTrue(isNull(o, "rotated_from"))
        XCTAssertEqual(n["rotated_from"] as? String, old.id)
        XCTAssertTrue(isNull(n, "rotated_to"))
        XCTAssertEqual(n["status"] as? String, "active")
        XCTAssertEqual(n["name"] as? String, "ci")
        XCTAssertEqual(n["kind"] as? String, "personal")
        XCTAssertEqual(n["owner"] as? String, Members.alice)
        XCTAssertEqual(n["created_by"] as? String, Members.alice)
        XCTAssertEqual(strings(n["scopes"]), strings(o["scopes"]))
        XCTAssertEqual(strings(n["scopes"]), ["assets:read", "tickets:write"])
        XCTAssertEqual(int64(n["created_at"]), T0 + HOUR)
        XCTAssertTrue(isNull(n, "expires_at"), "a token that never expires rotates into one that never expires")
        let rl = n["rate_limit"] as? [String: Any]
        XCTAssertEqual(int64(rl?["limit"]), 5)
        XCTAssertEqual(int64(rl?["window_ms"]), 2000)
        XCTAssertEqual(int64(n["use_count"]), 1)
    }

    func testGracePeriod() throws {
        let s = try seededStore()
        let old = try create(s, actor: Members.alice, scopes: "tickets:read")
        ta_set_clock(s, T0 + SECOND)
        let new = try rotate(s, actor: Members.alice, old.id, grace: 5000)
        // Linked at once.
        XCTAssertEqual(try tokenGet(s, old.id)["rotated_to"] as? String, new.id)
        XCTAssertEqual(try tokenGet(s, new.id)["rotated_from"] as? String, old.id)
        // Rotating the old one again is a conflict, even during the grace period.
        assertFails(rotateRaw(s, actor: .str(Members.alice), .str(old.id), grace: 5000).status, TA_CONFLICT)
        assertVerdict(verify(s, old.secret, "tickets:read"), TA_OK, "within grace")
        assertVerdict(verify(s, new.secret, "tickets:read"), TA_OK)
        XCTAssertEqual(try tokenGet(s, old.id)["status"] as? String, "active")
        ta_set_clock(s, T0 + SECOND + 4999)
        assertVerdict(verify(s, old.secret), TA_OK, "1 ms before the end of the grace period")
        ta_set_clock(s, T0 + SECOND + 5000)
        assertVerdict(verify(s, old.secret), TA_REVOKED, "now >= rotation time + grace")
        XCTAssertEqual(try tokenGet(s, old.id)["status"] as? String, "revoked")
        ta_set_clock(s, T0 + DAY)
        assertVerdict(verify(s, old.secret), TA_REVOKED)
        assertVerdict(verify(s, new.secret), TA_OK)
    }

    func testLifetimeIsCountedFromNow() throws {
        let s = try seededStore()
        let old = try create(s, actor: Members.alice, scopes: "tickets:read", expires: T0 + 10 * DAY)
        ta_set_clock(s, T0 + 2 * DAY)
        let new = try rotate(s, actor: Members.alice, old.id)
        let n = try tokenGet(s, new.id)
        XCTAssertEqual(int64(n["expires_at"]), T0 + 12 * DAY, "same lifetime (10 days) counted from now")
        XCTAssertEqual(int64(n["created_at"]), T0 + 2 * DAY)
        XCTAssertEqual(verify(s, new.secret).expires_at_ms, T0 + 12 * DAY)
    }

    func testExpiredOrInactiveTokensMayBeRotated() throws {
        let s = try seededStore()
        let expired = try create(s, actor: Members.alice, scopes: "tickets:read", expires: T0 + HOUR)
        let inactive = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_token_set_active(s, Members.alice, inactive.id, false), TA_OK)
        ta_set_clock(s, T0 + 3 * HOUR)
        assertVerdict(verify(s, expired.secret), TA_EXPIRED)
        let e2 = try rotate(s, actor: Members.alice, expired.id)
        assertVerdict(verify(s, e2.secret, "tickets:read"), TA_OK, "the new token is active")
        XCTAssertEqual(int64(try tokenGet(s, e2.id)["expires_at"]), T0 + 3 * HOUR + HOUR)
        let i2 = try rotate(s, actor: Members.alice, inactive.id)
        assertVerdict(verify(s, i2.secret, "tickets:read"), TA_OK, "the new token is active")
        XCTAssertEqual(try tokenGet(s, i2.id)["status"] as? String, "active")
        assertVerdict(verify(s, inactive.secret), TA_REVOKED)
    }

    func testRotatingTwiceIsConflict() throws {
        let s = try seededStore()
        let old = try create(s, actor: Members.alice, scopes: "tickets:read")
        let new = try rotate(s, actor: Members.alice, old.id)
        let r = rotateRaw(s, actor: .str(Members.alice), .str(old.id))
        assertFails(r.status, TA_CONFLICT)
        XCTAssertNil(r.secret)
        XCTAssertNil(r.id)
        // The chain continues from the new one.
        let newer = try rotate(s, actor: Members.alice, new.id)
        XCTAssertEqual(try tokenGet(s, new.id)["rotated_from"] as? String, old.id)
        XCTAssertEqual(try tokenGet(s, new.id)["rotated_to"] as? String, newer.id)
        XCTAssertEqual(try tokenList(s).count, 3)
    }

    func testNegativeGraceIsInvalid() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let before = snapshot(s)
        for g: Int64 in [-1, -5000, Int64.min] {
            let r = rotateRaw(s, actor: .str(Members.alice), .str(t.id), grace: g)
            assertFails(r.status, TA_INVALID_ARGUMENT, "grace \(g)")
            XCTAssertNil(r.secret)
            XCTAssertNil(r.id)
        }
        XCTAssertEqual(snapshot(s), before, "a refused rotation wrote something")
        assertVerdict(verify(s, t.secret), TA_OK)
    }

    func testHugeGraceDoesNotOverflow() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let r = rotateRaw(s, actor: .str(Members.alice), .str(t.id), grace: Int64.max)
        // Either accepted (the old token stays valid) or refused as an invalid argument; never a crash
        // or an old token that is revoked at once because of an overflow.
        if r.status == TA_OK {
            assertVerdict(verify(s, t.secret), TA_OK, "grace Int64.max overflowed into the past")
        } else {
            assertStatus(r.status, TA_INVALID_ARGUMENT)
        }
    }

    func testServiceRotationByAnotherManager() throws {
        let s = try seededStore()
        let old = try service(s, name: "sync", scopes: "tickets:read", expires: T0 + 30 * DAY, rate: 9, window: 1000)
        ta_set_clock(s, T0 + DAY)
        let new = try rotate(s, actor: Members.admin, old.id, grace: 60_000)
        let n = try tokenGet(s, new.id)
        XCTAssertEqual(n["kind"] as? String, "service")
        XCTAssertTrue(isNull(n, "owner"))
        XCTAssertEqual(n["created_by"] as? String, Members.admin, "created_by is the actor")
        XCTAssertEqual(n["name"] as? String, "sync")
        XCTAssertEqual(int64(n["expires_at"]), T0 + DAY + 30 * DAY)
        let v = verify(s, new.secret, "tickets:read")
        assertVerdict(v, TA_OK)
        XCTAssertEqual(v.subjectID, new.id)
        XCTAssertEqual(v.rate_limit, 9)
        assertVerdict(verify(s, old.secret), TA_OK, "within grace")
    }

    func testRotationIsAudited() throws {
        let s = try seededStore()
        let old = try create(s, actor: Members.alice, scopes: "tickets:read")
        ta_set_clock(s, T0 + SECOND)
        let new = try rotate(s, actor: Members.alice, old.id, grace: 5000)
        let rotated = events(s, "event=token.rotated")
        XCTAssertEqual(rotated.count, 1)
        if let e = rotated.first {
            XCTAssertEqual(e["token_id"] as? String, old.id)
            XCTAssertEqual(e["actor"] as? String, Members.alice)
            let d = detail(e)
            XCTAssertEqual(d["rotated_to"] as? String, new.id)
            XCTAssertEqual(int64(d["grace_ms"]), 5000)
            XCTAssertEqual(int64(d["revokes_at"]), T0 + SECOND + 5000)
        }
        let created = events(s, "event=token.created token=\(new.id)")
        XCTAssertEqual(created.count, 1)
        XCTAssertEqual(detail(created.first ?? [:])["rotated_from"] as? String, old.id)
        XCTAssertEqual(created.first?["actor"] as? String, Members.alice)
    }

    func testRotatingAFarFutureExpiryDoesNotOverflow() throws {
        let s = try seededStore()
        let t = try service(s, scopes: "tickets:read", expires: Int64.max)
        assertVerdict(verify(s, t.secret), TA_OK)
        XCTAssertEqual(int64(try tokenGet(s, t.id)["expires_at"]), Int64.max)
        ta_set_clock(s, T0 + DAY)
        let r = rotateRaw(s, actor: .str(Members.svc), .str(t.id))
        // now + (Int64.max - T0) does not fit in 64 bits: the closest sound result is a new token that
        // is active and expires no earlier than it can be represented (or a clean refusal).
        if r.status == TA_OK, let secret = r.secret, let id = r.id {
            let v = verify(s, secret)
            assertVerdict(v, TA_OK, "the new token's expiry overflowed into the past")
            let exp = int64(try tokenGet(s, id)["expires_at"])
            XCTAssertTrue((exp ?? Int64.max) > T0 + DAY, "expires_at \(String(describing: exp))")
        } else {
            XCTAssertTrue(r.status == TA_INVALID_ARGUMENT, statusName(r.status))
        }
    }

    func testHostRotatesAServiceToken() throws {
        let s = try seededStore()
        let t = try service(s, scopes: "tickets:read")
        let n = try rotate(s, actor: nil, t.id)
        XCTAssertEqual(try tokenGet(s, n.id)["created_by"] as? String, "system")
        assertVerdict(verify(s, n.secret, "tickets:read"), TA_OK)
        assertVerdict(verify(s, t.secret), TA_REVOKED)
    }

    func testRotationNeedsOwnershipAndTheAction() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertFails(rotateRaw(s, actor: .str(Members.bob), .str(t.id)).status, TA_NOT_FOUND)
        assertFails(rotateRaw(s, actor: .str(Members.admin), .str(t.id)).status, TA_PERMISSION_DENIED)
        assertFails(rotateRaw(s, actor: nil, .str(t.id)).status, TA_PERMISSION_DENIED)
        // Owner downgraded below the token's scopes: the new token can do no more than the owner.
        putMember(s, Members.alice, "assets:read ManagePersonalAccessTokens")
        let r = rotateRaw(s, actor: .str(Members.alice), .str(t.id))
        if r.status == TA_OK, let secret = r.secret {
            assertVerdict(verify(s, secret, "tickets:read"), TA_FORBIDDEN, "rotation widened a downgraded token")
        }
    }
}
