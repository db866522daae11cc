// Personal tokens: never more than the owner can do now (the "downgraded personal token"
// scenario), removal of the owner, and what the host may not do.

import CTokenAuth
import Foundation
import XCTest

final class PersonalTokenTests: ABITestCase {
    func testScopesMustBeHeldByTheOwnerAtCreation() throws {
        let s = try seededStore()
        // alice: tickets:write assets:read ManagePersonalAccessTokens
        for denied in ["users:read", "tickets:write users:read", "assets:write", "admin", "tickets:read users:write"] {
            let r = createRaw(s, actor: .str(Members.alice), scopes: .str(denied))
            assertFails(r.status, TA_PERMISSION_DENIED, "alice asks for \(denied)")
            XCTAssertNil(r.secret)
            XCTAssertNil(r.id)
        }
        assertFails(createRaw(s, actor: .str(Members.alice), scopes: "widgets:read").status, TA_UNKNOWN_SCOPE)
        let ok = try create(s, actor: Members.alice, scopes: "tickets:read")  // implied by tickets:write
        let ok2 = try create(s, actor: Members.alice, scopes: "tickets:write assets:read")
        XCTAssertEqual(Set(ids(try tokenList(s))), [ok.id, ok2.id], "a refused create left a token behind")
        let j = try tokenGet(s, ok2.id)
        XCTAssertEqual(j["owner"] as? String, Members.alice)
        XCTAssertEqual(j["created_by"] as? String, Members.alice)
        XCTAssertEqual(j["kind"] as? String, "personal")
    }

    func testCreatingNeedsManagePersonalAccessTokens() throws {
        let s = try seededStore()
        assertFails(createRaw(s, actor: .str(Members.carol), scopes: "tickets:read").status, TA_PERMISSION_DENIED)
        assertFails(createRaw(s, actor: .str(Members.auditor), scopes: "tickets:read").status, TA_PERMISSION_DENIED)
        assertFails(createRaw(s, actor: .str(Members.svc), scopes: "tickets:read").status, TA_PERMISSION_DENIED)
        XCTAssertEqual(try tokenList(s).count, 0)
    }

    func testImplicationsAreExpandedAtCreation() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:write")
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK)
        assertVerdict(verify(s, t.secret, "tickets:write tickets:read"), TA_OK)
        let j = try tokenGet(s, actor: Members.alice, t.id)
        XCTAssertEqual(strings(j["scopes"]), ["tickets:write"], "scopes as granted")
        XCTAssertEqual(strings(j["effective_scopes"]), ["tickets:read", "tickets:write"])
    }

    func testAdminCoversEveryScopeIncludingLaterOnesAndEveryIAMAction() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.admin, scopes: "admin")
        assertVerdict(verify(s, t.secret, "users:write assets:write tickets:write users:read"), TA_OK)
        assertStatus(ta_scope_define(s, "billing:read", nil, "Read invoices"), TA_OK)
        assertVerdict(verify(s, t.secret, "billing:read"), TA_OK, "admin covers a scope defined later")
        // The admin member may grant the new scope and every IAM action works for them.
        let narrow = try create(s, actor: Members.admin, scopes: "billing:read users:write")
        assertVerdict(verify(s, narrow.secret, "billing:read users:write"), TA_OK)
        _ = try service(s, actor: Members.admin, scopes: "billing:read")
        XCTAssertEqual(try tokenList(s, actor: Members.admin).count, 3, "admin implies ListAccessTokens")
        let a = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_token_rename(s, Members.admin, a.id, "renamed by admin"), TA_OK)
        let effective = strings(try tokenGet(s, t.id)["effective_scopes"]) ?? []
        XCTAssertTrue(effective.contains("billing:read") && effective.contains("users:write") && effective.contains("admin"),
                      "effective_scopes of an admin token: \(effective)")
    }

    /// The FeatBit scenario: reducing the owner's permissions downgrades their personal tokens
    /// from the next verification on; restoring them restores the tokens.
    func testDowngradedOwnerDowngradesTokenAndRestoreRestores() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:write assets:read")
        assertVerdict(verify(s, t.secret, "tickets:write"), TA_OK)
        putMember(s, Members.alice, "tickets:read assets:read ManagePersonalAccessTokens")
        let v = verify(s, t.secret, "tickets:write")
        assertVerdict(v, TA_FORBIDDEN, "downgraded from the next verification")
        XCTAssertEqual(v.missingScope, "tickets:write")
        XCTAssertEqual(v.http_status, 403)
        if let body = ta_error_json(v.status) {
            XCTAssertEqual(String(cString: body), #"{"success":false,"errors":["Forbidden"],"data":null}"#)
        } else {
            XCTFail("no error body for TA_FORBIDDEN")
        }
        assertVerdict(verify(s, t.secret, "tickets:read assets:read"), TA_OK)
        XCTAssertEqual(strings(try tokenGet(s, t.id)["effective_scopes"]), ["assets:read", "tickets:read"])
        // Losing everything: the token is still active but can do nothing scoped.
        putMember(s, Members.alice, "")
        assertVerdict(verify(s, t.secret, "assets:read"), TA_FORBIDDEN)
        XCTAssertEqual(strings(try tokenGet(s, t.id)["effective_scopes"]), [])
        XCTAssertEqual(try tokenGet(s, t.id)["status"] as? String, "active")
        // Restored.
        putMember(s, Members.alice, "tickets:write assets:read ManagePersonalAccessTokens")
        assertVerdict(verify(s, t.secret, "tickets:write tickets:read assets:read"), TA_OK)
        XCTAssertEqual(strings(try tokenGet(s, t.id)["effective_scopes"]), ["assets:read", "tickets:read", "tickets:write"])
    }

    func testOwnerPermissionsAreExpandedWithTheCatalogNow() throws {
        let s = try seededStore()
        // Owner holds tickets:write (which implies tickets:read); the token was granted tickets:read.
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK)
        // An owner who only holds admin covers everything.
        putMember(s, "root", "admin")
        let r = try create(s, actor: "root", scopes: "users:read")
        assertVerdict(verify(s, r.secret, "users:read"), TA_OK)
    }

    func testAdminTokenOfADowngradedOwner() throws {
        let s = try seededStore()
        putMember(s, "root", "admin")
        let t = try create(s, actor: "root", scopes: "admin")
        assertVerdict(verify(s, t.secret, "users:write"), TA_OK)
        putMember(s, "root", "tickets:read ManagePersonalAccessTokens")
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK, "admin ∩ {tickets:read}")
        let v = verify(s, t.secret, "tickets:read users:read")
        assertVerdict(v, TA_FORBIDDEN, "the owner lost admin: the token lost it too")
        XCTAssertEqual(v.missingScope, "users:read")
        assertVerdict(verify(s, t.secret, "admin"), TA_FORBIDDEN)
        XCTAssertEqual(strings(try tokenGet(s, t.id)["effective_scopes"]), ["tickets:read"])
        // And the owner no longer has the IAM actions admin implied.
        assertFails(callOut { ta_audit(s, "root", nil, $0) }.status, TA_PERMISSION_DENIED)
    }

    func testOwnerPermissionsUseTheCatalogAsItIsNow() throws {
        let s = try openStore()
        assertStatus(ta_scope_define(s, "reports:read", nil, nil), TA_OK)
        assertStatus(ta_scope_define(s, "reports:write", nil, nil), TA_OK)
        putMember(s, "dana", "reports:write ManagePersonalAccessTokens")
        assertFails(createRaw(s, actor: "dana", scopes: "reports:read").status, TA_PERMISSION_DENIED)
        assertStatus(ta_scope_define(s, "reports:write", "reports:read", nil), TA_OK)
        let t = try create(s, actor: "dana", scopes: "reports:read")
        assertVerdict(verify(s, t.secret, "reports:read"), TA_OK)
    }

    func testRemovedOwnerRevokesForGood() throws {
        let s = try seededStore()
        let old = try create(s, actor: Members.alice, name: "alice's old", scopes: "tickets:read")
        let old2 = try create(s, actor: Members.alice, scopes: "assets:read")
        let svc = try service(s, scopes: "tickets:read")
        removeMember(s, Members.alice)
        let v = verify(s, old.secret, "tickets:read")
        assertVerdict(v, TA_REVOKED)
        XCTAssertEqual(v.subjectID, "", "the owner was removed")
        XCTAssertEqual(v.tokenID, old.id)
        assertVerdict(verify(s, old2.secret), TA_REVOKED)
        assertVerdict(verify(s, svc.secret), TA_OK)

        // A member created later with the same id neither uses, sees nor manages them.
        putMember(s, Members.alice, "tickets:write assets:read ManagePersonalAccessTokens")
        assertVerdict(verify(s, old.secret), TA_REVOKED, "still revoked after a new alice appears")
        XCTAssertEqual(verify(s, old.secret).subjectID, "")
        XCTAssertEqual(try tokenList(s, actor: Members.alice).count, 0, "the new alice sees the old tokens")
        let (gst, _) = callOut { ta_token_get(s, Members.alice, old.id, $0) }
        assertStatus(gst, TA_NOT_FOUND)
        assertStatus(ta_token_rename(s, Members.alice, old.id, "x"), TA_NOT_FOUND)
        assertStatus(ta_token_set_active(s, Members.alice, old.id, true), TA_NOT_FOUND)
        assertStatus(ta_token_revoke(s, Members.alice, old.id), TA_NOT_FOUND)
        assertStatus(ta_token_delete(s, Members.alice, old.id), TA_NOT_FOUND)
        assertStatus(rotateRaw(s, actor: .str(Members.alice), .str(old.id)).status, TA_NOT_FOUND)
        assertStatus(callOut { ta_token_stats(s, Members.alice, old.id, 0, $0) }.status, TA_NOT_FOUND)
        XCTAssertFalse(try tokenList(s, actor: Members.alice, "owner=alice").contains { $0["id"] as? String == old.id })
        let rep = try report(s, actor: Members.alice)
        XCTAssertEqual((rep["tokens"] as? [Any])?.count, 0)

        // A ListAccessTokens holder still sees them, with their old owner.
        let seen = try tokenGet(s, actor: Members.auditor, old.id)
        XCTAssertEqual(seen["owner"] as? String, Members.alice)
        XCTAssertEqual(seen["status"] as? String, "revoked")
        XCTAssertEqual(strings(seen["effective_scopes"]), [])
        XCTAssertTrue(ids(try tokenList(s, actor: Members.auditor)).contains(old.id))
        // The new alice's own tokens work as usual.
        let fresh = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(s, fresh.secret, "tickets:read"), TA_OK)
        XCTAssertEqual(ids(try tokenList(s, actor: Members.alice)), [fresh.id])
        // Even the owner=alice filter (host) keeps them apart only by status; both say owner alice.
        let byOwner = try tokenList(s, "owner=alice")
        XCTAssertEqual(Set(ids(byOwner)), [old.id, old2.id, fresh.id])
    }

    func testHostCannotOwnOrRotateAPersonalToken() throws {
        let s = try seededStore()
        let r = createRaw(s, actor: nil, kind: TA_KIND_PERSONAL, scopes: "tickets:read")
        assertFails(r.status, TA_INVALID_ARGUMENT, "the host cannot own a personal token")
        XCTAssertNil(r.secret)
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let rot = rotateRaw(s, actor: nil, .str(t.id))
        assertFails(rot.status, TA_PERMISSION_DENIED, "nobody obtains a secret that acts as someone else")
        XCTAssertNil(rot.secret)
        assertVerdict(verify(s, t.secret), TA_OK, "a refused rotation changed the token")
        // The host may do the rest.
        assertStatus(ta_token_rename(s, nil, t.id, "by host"), TA_OK)
        assertStatus(ta_token_set_active(s, nil, t.id, false), TA_OK)
        assertStatus(ta_token_set_active(s, nil, t.id, true), TA_OK)
        assertStatus(ta_token_revoke(s, nil, t.id), TA_OK)
        assertStatus(ta_token_delete(s, nil, t.id), TA_OK)
    }

    func testOwnerWhoLostManagePersonalAccessTokensCannotManageButStillSees() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        putMember(s, Members.alice, "tickets:write assets:read")
        XCTAssertEqual(ids(try tokenList(s, actor: Members.alice)), [t.id], "everyone sees their own personal tokens")
        assertFails(ta_token_rename(s, Members.alice, t.id, "x"), TA_PERMISSION_DENIED)
        assertFails(ta_token_revoke(s, Members.alice, t.id), TA_PERMISSION_DENIED)
        assertFails(rotateRaw(s, actor: .str(Members.alice), .str(t.id)).status, TA_PERMISSION_DENIED)
        // The token itself still works: the IAM action is about managing, not using.
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK)
    }
}
