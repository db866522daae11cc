// Clocks decide only what is a time by nature (expiry, a rotation's grace period, rate-limit
// windows). An immediate end — revoke, delete, the owner's removal, a rotation without grace — is a
// state: refused on every handle's next verification whatever its clock reads, then or later. Two
// handles on one store stand in for two processes, or (on PostgreSQL) two hosts.

import CTokenAuth
import XCTest

final class ClockTests: ABITestCase {
    /// Handles A and B on one store, their clocks pinned `skew` apart (B = A + skew), and a token of
    /// each kind that B has verified (so B holds them in its index).
    private func skewedPair(_ skew: Int64, flushMs: UInt32 = 0) throws
        -> (a: OpaquePointer, b: OpaquePointer, personal: NewToken, service: NewToken) {
        let path = tempPath()
        let a = try seededStore(path: path)
        let b = try openStore(path: path, flushMs: flushMs, clock: T0 + skew)
        let personal = try create(a, actor: Members.alice, scopes: "tickets:read")
        let service = try service(a, scopes: "tickets:read")
        for t in [personal, service] { assertVerdict(verify(b, t.secret), TA_OK, "B caches it") }
        return (a, b, personal, service)
    }

    private static let skews: [(Int64, String)] = [(HOUR, "B's clock an hour ahead"), (-HOUR, "B's clock an hour behind"),
                                                    (-10 * SECOND, "B's clock 10 s behind")]

    func testARevokeIsRefusedByTheOtherHandleWhateverItsClock() throws {
        for (skew, label) in Self.skews {
            let (a, b, personal, service) = try skewedPair(skew)
            assertStatus(ta_token_revoke(a, Members.alice, personal.id), TA_OK)
            assertStatus(ta_token_revoke(a, Members.svc, service.id), TA_OK)
            assertVerdict(verify(b, personal.secret), TA_REVOKED, "\(label): B's very next verification")
            assertVerdict(verify(b, service.secret), TA_REVOKED, label)
            ta_set_clock(b, T0 + skew - HOUR)
            assertVerdict(verify(b, personal.secret), TA_REVOKED, "\(label), then stepped back an hour")
            ta_set_clock(a, T0 - HOUR)
            assertVerdict(verify(a, service.secret), TA_REVOKED, "\(label): A's own clock stepped back an hour")
        }
    }

    func testARotationWithoutGraceIsRefusedByTheOtherHandleWhateverItsClock() throws {
        for (skew, label) in Self.skews {
            let (a, b, personal, service) = try skewedPair(skew)
            let next = try rotate(a, actor: Members.alice, personal.id, grace: 0)
            _ = try rotate(a, actor: Members.svc, service.id, grace: 0)
            assertVerdict(verify(b, personal.secret), TA_REVOKED, "\(label): B's very next verification")
            assertVerdict(verify(b, service.secret), TA_REVOKED, label)
            assertVerdict(verify(b, next.secret), TA_OK, "\(label): the successor works")
            ta_set_clock(b, T0 + skew - HOUR)
            assertVerdict(verify(b, personal.secret), TA_REVOKED, "\(label), then stepped back an hour")
            assertFails(ta_token_set_active(b, Members.alice, personal.id, true), TA_CONFLICT,
                        "\(label): a token rotated without grace cannot be activated again, whatever B's clock")
        }
    }

    func testADeletionIsRefusedByTheOtherHandleWhateverItsClock() throws {
        for (skew, label) in Self.skews {
            let (a, b, personal, service) = try skewedPair(skew)
            assertStatus(ta_token_delete(a, Members.alice, personal.id), TA_OK)
            assertStatus(ta_token_delete(a, Members.svc, service.id), TA_OK)
            assertVerdict(verify(b, personal.secret), TA_UNKNOWN_TOKEN, label)
            assertVerdict(verify(b, service.secret), TA_UNKNOWN_TOKEN, label)
            ta_set_clock(b, T0 + skew - HOUR)
            assertVerdict(verify(b, personal.secret), TA_UNKNOWN_TOKEN, "\(label), then stepped back an hour")
        }
    }

    func testAMemberRemovalIsRefusedByTheOtherHandleWhateverItsClock() throws {
        for (skew, label) in Self.skews {
            let (a, b, personal, _) = try skewedPair(skew)
            removeMember(a, Members.alice)
            assertVerdict(verify(b, personal.secret), TA_REVOKED, label)
            ta_set_clock(b, T0 + skew - HOUR)
            assertVerdict(verify(b, personal.secret), TA_REVOKED, "\(label), then stepped back an hour")
            putMember(a, Members.alice, "tickets:read ManagePersonalAccessTokens")
            assertVerdict(verify(b, personal.secret), TA_REVOKED, "\(label): a new member with the same id gets nothing")
        }
    }

    func testDeactivationStaysAStateWhateverTheClock() throws {
        for (skew, label) in Self.skews {
            let (a, b, _, service) = try skewedPair(skew)
            assertStatus(ta_token_set_active(a, Members.svc, service.id, false), TA_OK)
            assertVerdict(verify(b, service.secret), TA_INACTIVE, label)
            ta_set_clock(b, T0 + skew - HOUR)
            assertVerdict(verify(b, service.secret), TA_INACTIVE, "\(label), then stepped back an hour")
        }
    }

    /// A grace period is a time: each handle judges it by its own clock, so it ends up to the skew
    /// early or late there, until a handle whose clock has passed its end records the revocation.
    func testAGracePeriodEndsByEachHandlesClockUntilItIsRecorded() throws {
        let (a, b, _, service) = try skewedPair(-HOUR)
        _ = try rotate(a, actor: Members.svc, service.id, grace: 10 * MINUTE)
        assertVerdict(verify(a, service.secret), TA_OK, "A, in the grace period")
        assertVerdict(verify(b, service.secret), TA_OK, "B, an hour behind, in the grace period")
        ta_set_clock(a, T0 + 11 * MINUTE)
        assertVerdict(verify(a, service.secret), TA_REVOKED, "A's clock is past the grace period")
        assertVerdict(verify(b, service.secret), TA_OK, "B's clock (an hour behind) is not, and nothing recorded it yet")
        ta_set_clock(b, T0 + 11 * MINUTE - HOUR + 10 * MINUTE + 1)
        assertVerdict(verify(b, service.secret), TA_OK, "still an hour behind A")
    }

    /// The background thread of a handle whose clock has passed a grace period's end records it as a
    /// revocation: from then on every handle refuses the token, whatever its clock reads.
    func testAGracePeriodThatEndedIsRecordedAsARevocation() throws {
        let path = tempPath()
        let a = try seededStore(path: path)
        let b = try openStore(path: path, clock: T0 - HOUR)
        let t = try service(a, scopes: "tickets:read")
        _ = try rotate(a, actor: Members.svc, t.id, grace: 10 * MINUTE)
        assertVerdict(verify(b, t.secret), TA_OK, "B caches it, an hour behind, in the grace period")
        let c = try openStore(path: path, flushMs: 20, clock: T0 + 11 * MINUTE)
        var refused = false
        for _ in 0..<500 where !refused {
            refused = verify(b, t.secret).status == TA_REVOKED
            if !refused { usleep(10_000) }
        }
        XCTAssertTrue(refused, "C's clock passed the grace period's end: B refuses the token although its own has not")
        XCTAssertEqual(try tokenGet(c, t.id)["status"] as? String, "revoked")
        ta_set_clock(b, T0 - 2 * HOUR)
        assertVerdict(verify(b, t.secret), TA_REVOKED, "a recorded end is a state")
        assertFails(ta_token_set_active(a, Members.svc, t.id, true), TA_CONFLICT)
    }

    /// Expiry is a time by nature, judged by the verifying handle's clock: a handle whose clock is
    /// behind accepts an expired token for the length of the skew.
    func testExpiryIsJudgedByTheVerifyingHandlesClock() throws {
        let path = tempPath()
        let a = try seededStore(path: path)
        let b = try openStore(path: path, clock: T0 - HOUR)
        let t = try service(a, scopes: "tickets:read", expires: T0 + MINUTE)
        ta_set_clock(a, T0 + 2 * MINUTE)
        ta_set_clock(b, T0 + 2 * MINUTE - HOUR)
        assertVerdict(verify(a, t.secret), TA_EXPIRED)
        assertVerdict(verify(b, t.secret), TA_OK, "B's clock, an hour behind, has not reached the expiry")
        ta_set_clock(b, T0 + MINUTE)
        assertVerdict(verify(b, t.secret), TA_EXPIRED)
    }

    /// Usage is counted under the UTC day the verifying clock reads; the last use never moves back.
    func testUsageFollowsTheClockButLastUseNeverMovesBack() throws {
        let s = try seededStore()
        let t = try service(s, scopes: "tickets:read")
        let day = T0 - T0 % DAY
        ta_set_clock(s, day + 12 * HOUR)
        assertVerdict(verify(s, t.secret), TA_OK)
        ta_set_clock(s, day + 12 * HOUR - DAY)
        assertVerdict(verify(s, t.secret), TA_OK)
        assertStatus(ta_flush(s), TA_OK)
        ta_set_clock(s, day + 13 * HOUR)
        let stats = try stats(s, t.id)
        XCTAssertEqual(int64(stats["use_count"]), 2)
        XCTAssertEqual((stats["by_day"] as? [String: Any])?.count, 2, "one use on each day the clock read: \(stats)")
        XCTAssertEqual(int64(stats["last_used_at"]), day + 12 * HOUR, "the stamp does not move back with the clock")
        XCTAssertEqual(int64(try tokenGet(s, t.id)["last_used_at"]), day + 12 * HOUR)
    }
}
