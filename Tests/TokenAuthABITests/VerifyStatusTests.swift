// ta_verify outcomes, their check order, and every verdict field.

import CTokenAuth
import Foundation
import XCTest

final class VerifyStatusTests: ABITestCase {
    func testSuccessfulVerdictFields() throws {
        let s = try seededStore()
        let p = try create(s, actor: Members.alice, scopes: "tickets:write", expires: T0 + DAY)
        let v = verify(s, p.secret, "tickets:read tickets:write")
        assertVerdict(v, TA_OK)
        XCTAssertEqual(v.http_status, 200)
        XCTAssertEqual(v.kind, TA_KIND_PERSONAL)
        XCTAssertEqual(v.tokenID, p.id)
        XCTAssertEqual(v.subjectID, Members.alice, "a personal token's subject is its owner")
        XCTAssertEqual(v.expires_at_ms, T0 + DAY)
        XCTAssertEqual(v.rate_limit, 0)
        XCTAssertEqual(v.retry_after_ms, 0)
        XCTAssertEqual(v.missingScope, "")

        let sv = try service(s, scopes: "assets:write")
        let w = verify(s, sv.secret, "assets:read")
        assertVerdict(w, TA_OK)
        XCTAssertEqual(w.kind, TA_KIND_SERVICE)
        XCTAssertEqual(w.tokenID, sv.id)
        XCTAssertEqual(w.subjectID, sv.id, "a service token's subject is its token id")
        XCTAssertEqual(w.expires_at_ms, 0, "0 = never")
    }

    func testUnknownToken() throws {
        let s = try seededStore()
        let v = verify(s, fabricateToken(), "tickets:read")
        assertVerdict(v, TA_UNKNOWN_TOKEN)
        XCTAssertEqual(v.http_status, 401)
        XCTAssertEqual(v.kind.rawValue, 0)
        XCTAssertEqual(v.tokenID, "")
        XCTAssertEqual(v.subjectID, "")
        XCTAssertEqual(v.expires_at_ms, 0)
        XCTAssertEqual(v.rate_limit, 0)
        XCTAssertEqual(v.rate_remaining, 0)
        XCTAssertEqual(v.rate_reset_ms, 0)
        XCTAssertEqual(v.retry_after_ms, 0)
        XCTAssertEqual(v.missingScope, "")
    }

    func testRevoked() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(s, t.secret), TA_OK)
        assertStatus(ta_token_revoke(s, Members.alice, t.id), TA_OK)
        let v = verify(s, t.secret, "tickets:read")
        assertVerdict(v, TA_REVOKED)
        XCTAssertEqual(v.http_status, 401)
        XCTAssertEqual(v.tokenID, t.id, "a known token's id is reported")
        XCTAssertEqual(v.kind, TA_KIND_PERSONAL)
        XCTAssertEqual(v.subjectID, Members.alice)
        // For good.
        ta_set_clock(s, T0 + 400 * DAY)
        assertVerdict(verify(s, t.secret), TA_REVOKED)
    }

    func testExpiry() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read", expires: T0 + HOUR)
        ta_set_clock(s, T0 + HOUR - 1)
        let ok = verify(s, t.secret, "tickets:read")
        assertVerdict(ok, TA_OK)
        XCTAssertEqual(ok.expires_at_ms, T0 + HOUR)
        ta_set_clock(s, T0 + HOUR)
        let v = verify(s, t.secret, "tickets:read")
        assertVerdict(v, TA_EXPIRED, "now >= expires_at_ms")
        XCTAssertEqual(v.http_status, 401)
        XCTAssertEqual(v.tokenID, t.id)
        XCTAssertEqual(v.expires_at_ms, T0 + HOUR)
        ta_set_clock(s, T0 + 2 * HOUR)
        assertVerdict(verify(s, t.secret), TA_EXPIRED)
        // The clock going back makes it valid again (expiry is a function of now).
        ta_set_clock(s, T0)
        assertVerdict(verify(s, t.secret), TA_OK)
    }

    func testDeactivatedAndActivated() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(s, t.secret), TA_OK)
        assertStatus(ta_token_set_active(s, Members.alice, t.id, false), TA_OK)
        let v = verify(s, t.secret, "tickets:read")
        assertVerdict(v, TA_INACTIVE)
        XCTAssertEqual(v.http_status, 403)
        XCTAssertEqual(v.tokenID, t.id)
        assertStatus(ta_token_set_active(s, Members.alice, t.id, true), TA_OK)
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK)
    }

    func testOwnerInactive() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        setMemberActive(s, Members.alice, false)
        let v = verify(s, t.secret, "tickets:read")
        assertVerdict(v, TA_OWNER_INACTIVE)
        XCTAssertEqual(v.http_status, 403)
        XCTAssertEqual(v.tokenID, t.id)
        XCTAssertEqual(v.subjectID, Members.alice)
        setMemberActive(s, Members.alice, true)
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK, "works again after reactivation")
    }

    func testForbiddenReportsFirstMissingScope() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:write")
        let v = verify(s, t.secret, "tickets:read users:read assets:write")
        assertVerdict(v, TA_FORBIDDEN)
        XCTAssertEqual(v.http_status, 403)
        XCTAssertEqual(v.missingScope, "users:read", "the first required scope not held")
        XCTAssertEqual(v.tokenID, t.id)
        XCTAssertEqual(v.subjectID, Members.alice)
        let w = verify(s, t.secret, "assets:write tickets:read")
        assertVerdict(w, TA_FORBIDDEN)
        XCTAssertEqual(w.missingScope, "assets:write")
        // Held scopes in any order.
        assertVerdict(verify(s, t.secret, "tickets:read tickets:write"), TA_OK)
    }

    func testScopeNotInCatalogIsNeverInForceNotEvenForAdmin() throws {
        let s = try seededStore()
        let admin = try create(s, actor: Members.admin, scopes: "admin")
        let hostAdmin = try service(s, actor: nil, scopes: "admin")
        for t in [admin, hostAdmin] {
            assertVerdict(verify(s, t.secret, "users:write assets:write tickets:write"), TA_OK)
            let v = verify(s, t.secret, "tickets:read widgets:read")
            assertVerdict(v, TA_FORBIDDEN)
            XCTAssertEqual(v.missingScope, "widgets:read")
        }
    }

    func testCheckOrder() throws {
        let s = try seededStore()
        // revoked + expired → REVOKED
        let a = try create(s, actor: Members.alice, scopes: "tickets:read", expires: T0 + HOUR)
        assertStatus(ta_token_revoke(s, Members.alice, a.id), TA_OK)
        // expired + inactive → EXPIRED
        let b = try create(s, actor: Members.alice, scopes: "tickets:read", expires: T0 + HOUR)
        assertStatus(ta_token_set_active(s, Members.alice, b.id, false), TA_OK)
        // inactive + owner inactive → INACTIVE
        let c = try create(s, actor: Members.bob, scopes: "tickets:read")
        assertStatus(ta_token_set_active(s, Members.bob, c.id, false), TA_OK)
        // owner inactive + missing scope → OWNER_INACTIVE
        let d = try create(s, actor: Members.bob, scopes: "tickets:read")
        // expired + owner inactive → EXPIRED
        let e = try create(s, actor: Members.bob, scopes: "tickets:read", expires: T0 + HOUR)
        setMemberActive(s, Members.bob, false)
        // revoked (owner removed) + expired → REVOKED
        putMember(s, "dana", "tickets:read ManagePersonalAccessTokens")
        let f = try create(s, actor: "dana", scopes: "tickets:read", expires: T0 + HOUR)
        removeMember(s, "dana")
        ta_set_clock(s, T0 + 2 * HOUR)

        assertVerdict(verify(s, a.secret, "users:write"), TA_REVOKED, "revoked + expired + missing scope")
        assertVerdict(verify(s, b.secret, "users:write"), TA_EXPIRED, "expired + inactive")
        assertVerdict(verify(s, c.secret, "users:write"), TA_INACTIVE, "inactive + owner inactive")
        assertVerdict(verify(s, d.secret, "users:write"), TA_OWNER_INACTIVE, "owner inactive + missing scope")
        assertVerdict(verify(s, e.secret), TA_EXPIRED, "expired + owner inactive")
        let vf = verify(s, f.secret)
        assertVerdict(vf, TA_REVOKED, "owner removed + expired")
        XCTAssertEqual(vf.subjectID, "", "subject is empty when the owner was removed")
        XCTAssertEqual(vf.tokenID, f.id)

        // The listing's "status" follows the same order.
        let list = try tokenList(s)
        func status(_ id: String) -> String? { list.first { $0["id"] as? String == id }?["status"] as? String }
        XCTAssertEqual(status(a.id), "revoked")
        XCTAssertEqual(status(b.id), "expired")
        XCTAssertEqual(status(c.id), "inactive")
        XCTAssertEqual(status(d.id), "owner_inactive")
        XCTAssertEqual(status(e.id), "expired")
        XCTAssertEqual(status(f.id), "revoked")
    }

    func testForbiddenComesBeforeRateLimit() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read", rate: 1, window: 60_000)
        assertVerdict(verify(s, t.secret), TA_OK)
        assertVerdict(verify(s, t.secret), TA_RATE_LIMITED)
        assertVerdict(verify(s, t.secret, "users:read"), TA_FORBIDDEN, "a denial by scope is reported before the rate limit")
    }

    func testNoRequiredScopesSkipsTheScopeCheck() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "assets:read")
        assertVerdict(verify(s, t.secret, nil), TA_OK)
        assertVerdict(verify(s, t.secret, ""), TA_OK)
    }

    func testPersonalTokenScopesAreIntersectedWithOwnerNow() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:write assets:read")
        putMember(s, Members.alice, "assets:read ManagePersonalAccessTokens")
        let v = verify(s, t.secret, "assets:read tickets:read")
        assertVerdict(v, TA_FORBIDDEN)
        XCTAssertEqual(v.missingScope, "tickets:read")
        assertVerdict(verify(s, t.secret, "assets:read"), TA_OK)
    }
}
