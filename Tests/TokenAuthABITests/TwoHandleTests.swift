// Two handles on one database file (standing in for two processes): what one commits, the other
// honours on its very next call.

import CTokenAuth
import Foundation
import XCTest

final class TwoHandleTests: ABITestCase {
    private func pair() throws -> (OpaquePointer, OpaquePointer) {
        let path = tempPath()
        let a = try seededStore(path: path)
        let b = try openStore(path: path)
        return (a, b)
    }

    func testTokenCreatedThroughAVerifiesThroughB() throws {
        let (a, b) = try pair()
        let t = try create(a, actor: Members.alice, scopes: "tickets:write")
        let v = verify(b, t.secret, "tickets:read")
        assertVerdict(v, TA_OK)
        XCTAssertEqual(v.tokenID, t.id)
        XCTAssertEqual(v.subjectID, Members.alice)
        XCTAssertEqual(ids(try tokenList(b)), [t.id])
    }

    func testRevokeThroughAIsHonouredByBsNextVerify() throws {
        let (a, b) = try pair()
        let t = try create(a, actor: Members.alice, scopes: "tickets:read")
        for _ in 0..<3 { assertVerdict(verify(b, t.secret), TA_OK) }  // B has seen (and may cache) it
        assertStatus(ta_token_revoke(a, Members.alice, t.id), TA_OK)
        assertVerdict(verify(b, t.secret), TA_REVOKED, "B's very next verification")
    }

    func testDeactivateAndActivateThroughA() throws {
        let (a, b) = try pair()
        let t = try service(a, scopes: "tickets:read")
        assertVerdict(verify(b, t.secret), TA_OK)
        assertStatus(ta_token_set_active(a, Members.svc, t.id, false), TA_OK)
        assertVerdict(verify(b, t.secret), TA_INACTIVE)
        assertStatus(ta_token_set_active(a, Members.svc, t.id, true), TA_OK)
        assertVerdict(verify(b, t.secret), TA_OK)
    }

    func testMemberChangesThroughA() throws {
        let (a, b) = try pair()
        let t = try create(a, actor: Members.alice, scopes: "tickets:write")
        assertVerdict(verify(b, t.secret, "tickets:write"), TA_OK)
        putMember(a, Members.alice, "tickets:read ManagePersonalAccessTokens")
        assertVerdict(verify(b, t.secret, "tickets:write"), TA_FORBIDDEN, "downgrade seen by B")
        putMember(a, Members.alice, "tickets:write ManagePersonalAccessTokens")
        assertVerdict(verify(b, t.secret, "tickets:write"), TA_OK, "restore seen by B")
        setMemberActive(a, Members.alice, false)
        assertVerdict(verify(b, t.secret), TA_OWNER_INACTIVE)
        setMemberActive(a, Members.alice, true)
        assertVerdict(verify(b, t.secret), TA_OK)
        removeMember(a, Members.alice)
        assertVerdict(verify(b, t.secret), TA_REVOKED)
        // Management through B sees the removal too.
        assertFails(ta_token_rename(b, Members.alice, t.id, "x"), TA_PERMISSION_DENIED)
    }

    func testRotationAndDeleteThroughA() throws {
        let (a, b) = try pair()
        let t = try create(a, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(b, t.secret), TA_OK)
        let n = try rotate(a, actor: Members.alice, t.id)
        assertVerdict(verify(b, t.secret), TA_REVOKED)
        assertVerdict(verify(b, n.secret), TA_OK)
        assertStatus(ta_token_delete(a, Members.alice, n.id), TA_OK)
        assertVerdict(verify(b, n.secret), TA_UNKNOWN_TOKEN)
    }

    func testCatalogChangesThroughA() throws {
        let (a, b) = try pair()
        assertStatus(ta_scope_define(a, "reports:read", nil, "Reports"), TA_OK)
        XCTAssertTrue(try scopeList(b).contains { $0["scope"] as? String == "reports:read" })
        putMember(b, "dana", "reports:read ManagePersonalAccessTokens")
        let t = try create(b, actor: "dana", scopes: "reports:read")
        assertVerdict(verify(a, t.secret, "reports:read"), TA_OK)
    }

    func testHandlesOfOneFileShareEachTokensBucket() throws {
        let (a, b) = try pair()
        let t = try create(a, actor: Members.alice, scopes: "tickets:read", rate: 2, window: 60_000)
        assertVerdict(verify(a, t.secret), TA_OK)
        let v = verify(b, t.secret)
        assertVerdict(v, TA_OK, "B draws from the same bucket")
        XCTAssertEqual(v.rate_remaining, 0, "the shared bucket's value")
        assertVerdict(verify(a, t.secret), TA_RATE_LIMITED)
        assertVerdict(verify(b, t.secret), TA_RATE_LIMITED)
        ta_set_clock(b, T0 + 30_000)
        assertVerdict(verify(b, t.secret), TA_OK, "half a window later: one unit, for whichever handle asks first")
        ta_set_clock(a, T0 + 30_000)
        assertVerdict(verify(a, t.secret), TA_RATE_LIMITED)
    }

    func testPerHandleBucketsAreAPolicyOfTheirOwn() throws {
        let (a, b) = try pair()
        assertStatus(ta_set_rate_limit_policy(a, TA_RATE_LIMIT_PER_HANDLE), TA_OK)
        assertStatus(ta_set_rate_limit_policy(b, TA_RATE_LIMIT_PER_HANDLE), TA_OK)
        let t = try create(a, actor: Members.alice, scopes: "tickets:read", rate: 1, window: 60_000)
        assertVerdict(verify(a, t.secret), TA_OK)
        assertVerdict(verify(a, t.secret), TA_RATE_LIMITED)
        assertVerdict(verify(b, t.secret), TA_OK, "each handle keeps its own bucket")
        assertVerdict(verify(b, t.secret), TA_RATE_LIMITED)
        XCTAssertEqual(try rateLimitInfo(a)["policy"] as? String, "handle")
    }

    func testUsageAndDenialsAddUpAcrossHandles() throws {
        let (a, b) = try pair()
        let t = try create(a, actor: Members.alice, scopes: "tickets:read")
        for _ in 0..<2 { assertVerdict(verify(a, t.secret), TA_OK) }
        for _ in 0..<3 { assertVerdict(verify(b, t.secret), TA_OK) }
        assertStatus(ta_flush(a), TA_OK)
        assertStatus(ta_flush(b), TA_OK)
        XCTAssertEqual(int64(try stats(a, t.id)["use_count"]), 5)
        XCTAssertEqual(int64(try stats(b, t.id)["use_count"]), 5)

        // verify.denied from both handles lands in the same (token, status, minute) entry.
        assertStatus(ta_token_revoke(a, Members.alice, t.id), TA_OK)
        assertVerdict(verify(a, t.secret), TA_REVOKED)
        assertVerdict(verify(a, t.secret), TA_REVOKED)
        assertStatus(ta_flush(a), TA_OK)
        assertVerdict(verify(b, t.secret), TA_REVOKED)
        assertStatus(ta_flush(b), TA_OK)
        let e = events(a, "event=verify.denied token=\(t.id)")
        XCTAssertEqual(e.count, 1, "one entry per (token, status, minute) across processes: \(e)")
        XCTAssertEqual(int64(detail(e.first ?? [:])["count"]), 3)
        XCTAssertEqual(int64(try stats(b, t.id)["denied_count"]), 3)
    }

    func testClosingOneHandleLeavesTheOtherWorking() throws {
        let (a, b) = try pair()
        let t = try create(a, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(a, t.secret), TA_OK)
        closeStore(a)
        assertVerdict(verify(b, t.secret), TA_OK)
        let u = try create(b, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(b, u.secret), TA_OK)
        XCTAssertEqual(int64(try stats(b, t.id)["use_count"]), 2, "A's usage was flushed when it closed")
    }

    func testAnotherPrefixWhileOpenIsConflict() throws {
        let path = tempPath()
        _ = try seededStore(path: path, prefix: "acme")
        let (st, store) = openRaw(.str(path), prefix: "zeta")
        assertFails(st, TA_CONFLICT)
        XCTAssertNil(store)
    }

    func testMemoryHandlesShareNothing() throws {
        let (st, m) = openRaw(":memory:")
        assertStatus(st, TA_OK)
        let mem = try XCTUnwrap(m)
        ta_set_clock(mem, T0)
        let (a, _) = try pair()
        let t = try service(a, scopes: "tickets:read")
        assertVerdict(verify(mem, t.secret), TA_UNKNOWN_TOKEN)
    }
}
