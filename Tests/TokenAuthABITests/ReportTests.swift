// ta_report: the least-privilege and hygiene report.

import CTokenAuth
import Foundation
import XCTest

final class ReportTests: ABITestCase {
    private func entries(_ rep: [String: Any]) -> [String: [String: Any]] {
        var out: [String: [String: Any]] = [:]
        for e in rep["tokens"] as? [[String: Any]] ?? [] {
            if let id = e["token_id"] as? String { out[id] = e }
        }
        return out
    }

    func testReportFields() throws {
        let s = try seededStore()
        // used: granted tickets:write + assets:read, used with tickets:read only.
        let used = try create(s, actor: Members.alice, name: "used", scopes: "tickets:write assets:read")
        assertVerdict(verify(s, used.secret, "tickets:read"), TA_OK)
        // never used, never expires.
        let idle = try create(s, actor: Members.alice, name: "idle", scopes: "tickets:read")
        // expires in 3 days (soon) and in 30 days (not soon), both used with every scope.
        let soon = try service(s, name: "soon", scopes: "tickets:read", expires: T0 + 3 * DAY + 3 * HOUR)
        let later = try service(s, name: "later", scopes: "tickets:read", expires: T0 + 30 * DAY)
        assertVerdict(verify(s, soon.secret, "tickets:read"), TA_OK)
        assertVerdict(verify(s, later.secret, "tickets:read"), TA_OK)
        // revoked: not listed.
        let gone = try create(s, actor: Members.alice, name: "gone", scopes: "tickets:read")
        assertStatus(ta_token_revoke(s, Members.alice, gone.id), TA_OK)

        ta_set_clock(s, T0 + 3 * DAY + HOUR)
        let rep = try report(s)
        XCTAssertEqual(int64(rep["generated_at"]), T0 + 3 * DAY + HOUR)
        XCTAssertEqual(int64(rep["since"]), 0)
        let e = entries(rep)
        XCTAssertEqual(Set(e.keys), [used.id, idle.id, soon.id, later.id], "revoked tokens are not listed")

        let u = try XCTUnwrap(e[used.id])
        XCTAssertEqual(u["name"] as? String, "used")
        XCTAssertEqual(Set(strings(u["unused_scopes"]) ?? []), ["tickets:write", "assets:read"],
                       "granted scopes no successful verification required by that exact name")
        XCTAssertEqual(bool(u["never_used"]), false)
        XCTAssertEqual(int64(u["idle_days"]), 3)
        XCTAssertEqual(bool(u["never_expires"]), true)
        XCTAssertEqual(bool(u["expires_soon"]), false)
        let recs = u["recommendations"] as? [String] ?? []
        XCTAssertFalse(recs.isEmpty, "an unused scope deserves a recommendation")
        XCTAssertTrue(recs.allSatisfy { !$0.isEmpty })

        let i = try XCTUnwrap(e[idle.id])
        XCTAssertEqual(bool(i["never_used"]), true)
        XCTAssertTrue(isNull(i, "idle_days"))
        XCTAssertEqual(strings(i["unused_scopes"]), ["tickets:read"])
        XCTAssertFalse((i["recommendations"] as? [String] ?? []).isEmpty)

        let so = try XCTUnwrap(e[soon.id])
        XCTAssertEqual(bool(so["never_expires"]), false)
        XCTAssertEqual(bool(so["expires_soon"]), true)
        XCTAssertEqual(strings(so["unused_scopes"]), [])
        XCTAssertEqual(bool(so["never_used"]), false)
        XCTAssertEqual(int64(so["idle_days"]), 3)

        let l = try XCTUnwrap(e[later.id])
        XCTAssertEqual(bool(l["expires_soon"]), false)
        XCTAssertEqual(bool(l["never_expires"]), false)
    }

    func testExpiresSoonBoundaries() throws {
        let s = try seededStore()
        let exactly7 = try service(s, scopes: "tickets:read", expires: T0 + 7 * DAY)
        let over7 = try service(s, scopes: "tickets:read", expires: T0 + 7 * DAY + 1)
        let expired = try service(s, scopes: "tickets:read", expires: T0 + HOUR)
        let e = entries(try report(s))
        XCTAssertEqual(bool(e[exactly7.id]?["expires_soon"]), true, "0 < expires_at - now <= 7 days")
        XCTAssertEqual(bool(e[over7.id]?["expires_soon"]), false)
        ta_set_clock(s, T0 + 2 * HOUR)
        let e2 = entries(try report(s))
        XCTAssertEqual(bool(e2[expired.id]?["expires_soon"]), false, "already expired is not \"soon\"")
        XCTAssertNotNil(e2[expired.id], "expired (not revoked) tokens are still listed")
    }

    func testSinceNarrowsUsedScopes() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read assets:read")
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK)          // 2024-03-10
        ta_set_clock(s, T0 + 2 * DAY)
        assertVerdict(verify(s, t.secret, "assets:read"), TA_OK)           // 2024-03-12
        ta_set_clock(s, T0 + 5 * DAY)
        let all = entries(try report(s, since: 0))[t.id]
        XCTAssertEqual(strings(all?["unused_scopes"]), [])
        let recent = try report(s, since: T0 + DAY)
        XCTAssertEqual(int64(recent["since"]), T0 + DAY)
        XCTAssertEqual(strings(entries(recent)[t.id]?["unused_scopes"]), ["tickets:read"])
        XCTAssertEqual(int64(entries(recent)[t.id]?["idle_days"]), 3)
    }

    func testFailedVerificationsDoNotCountAsUse() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read assets:read")
        assertVerdict(verify(s, t.secret, "tickets:read users:read"), TA_FORBIDDEN)
        let e = entries(try report(s))[t.id]
        XCTAssertEqual(bool(e?["never_used"]), true)
        XCTAssertEqual(Set(strings(e?["unused_scopes"]) ?? []), ["tickets:read", "assets:read"])
    }

    func testOnlyVisibleTokens() throws {
        let s = try seededStore()
        let a = try create(s, actor: Members.alice, scopes: "tickets:read")
        let b = try create(s, actor: Members.bob, scopes: "tickets:read")
        let sv = try service(s, scopes: "tickets:read")
        XCTAssertEqual(Set(entries(try report(s, actor: Members.alice)).keys), [a.id])
        XCTAssertEqual(Set(entries(try report(s, actor: Members.bob)).keys), [b.id])
        XCTAssertEqual(Set(entries(try report(s, actor: Members.svc)).keys), [sv.id])
        XCTAssertEqual(Set(entries(try report(s, actor: Members.auditor)).keys), [a.id, b.id, sv.id])
        XCTAssertEqual(Set(entries(try report(s, actor: Members.carol)).keys), [])
    }
}
