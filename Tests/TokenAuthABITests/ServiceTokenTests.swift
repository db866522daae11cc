// Service tokens: scopes fixed at creation, never more than the creator held then, unaffected by
// later changes to the creator; managed with ManageServiceAccessTokens.

import CTokenAuth
import Foundation
import XCTest

final class ServiceTokenTests: ABITestCase {
    func testScopesMustBeHeldByTheCreator() throws {
        let s = try seededStore()
        // svcmgr: tickets:write assets:write ManageServiceAccessTokens
        for denied in ["users:read", "admin", "tickets:write users:write"] {
            let r = createRaw(s, actor: .str(Members.svc), kind: TA_KIND_SERVICE, scopes: .str(denied))
            assertFails(r.status, TA_PERMISSION_DENIED, denied)
            XCTAssertNil(r.secret)
        }
        let t = try service(s, scopes: "tickets:read assets:write")
        let j = try tokenGet(s, t.id)
        XCTAssertEqual(j["kind"] as? String, "service")
        XCTAssertTrue(isNull(j, "owner"), "a service token has no owner")
        XCTAssertEqual(j["created_by"] as? String, Members.svc)
        XCTAssertEqual(strings(j["scopes"]), ["assets:write", "tickets:read"])
        XCTAssertEqual(strings(j["effective_scopes"]), ["assets:read", "assets:write", "tickets:read"])
        XCTAssertEqual(try tokenList(s).count, 1)
    }

    func testCreatingNeedsManageServiceAccessTokens() throws {
        let s = try seededStore()
        for actor in [Members.alice, Members.bob, Members.auditor, Members.carol] {
            let r = createRaw(s, actor: .str(actor), kind: TA_KIND_SERVICE, scopes: "tickets:read")
            assertFails(r.status, TA_PERMISSION_DENIED, actor)
        }
        XCTAssertEqual(try tokenList(s).count, 0)
    }

    func testSubjectIsTheTokenID() throws {
        let s = try seededStore()
        let t = try service(s, scopes: "tickets:read")
        let v = verify(s, t.secret, "tickets:read")
        assertVerdict(v, TA_OK)
        XCTAssertEqual(v.kind, TA_KIND_SERVICE)
        XCTAssertEqual(v.subjectID, t.id)
        XCTAssertEqual(v.tokenID, t.id)
    }

    func testFixedWhateverHappensToTheCreator() throws {
        let s = try seededStore()
        let t = try service(s, scopes: "tickets:write assets:write")
        let required = "tickets:write tickets:read assets:write assets:read"
        assertVerdict(verify(s, t.secret, required), TA_OK)
        putMember(s, Members.svc, "")
        assertVerdict(verify(s, t.secret, required), TA_OK, "creator downgraded")
        setMemberActive(s, Members.svc, false)
        assertVerdict(verify(s, t.secret, required), TA_OK, "creator deactivated")
        removeMember(s, Members.svc)
        let v = verify(s, t.secret, required)
        assertVerdict(v, TA_OK, "creator removed")
        XCTAssertEqual(v.subjectID, t.id)
        let j = try tokenGet(s, t.id)
        XCTAssertEqual(j["status"] as? String, "active")
        XCTAssertEqual(j["created_by"] as? String, Members.svc)
        XCTAssertEqual(strings(j["effective_scopes"]), ["assets:read", "assets:write", "tickets:read", "tickets:write"])
    }

    func testHostMayCreateAnyServiceToken() throws {
        let s = try seededStore()
        let t = try service(s, actor: nil, scopes: "users:write admin")
        let j = try tokenGet(s, t.id)
        XCTAssertEqual(j["created_by"] as? String, "system")
        XCTAssertTrue(isNull(j, "owner"))
        assertVerdict(verify(s, t.secret, "users:read tickets:write"), TA_OK)
    }

    func testEveryManagementCallNeedsManageServiceAccessTokens() throws {
        let s = try seededStore()
        let t = try service(s, scopes: "tickets:read")
        // Not visible to alice (no ListAccessTokens, no ManageServiceAccessTokens): NOT_FOUND.
        assertFails(ta_token_rename(s, Members.alice, t.id, "x"), TA_NOT_FOUND)
        assertFails(ta_token_set_active(s, Members.alice, t.id, false), TA_NOT_FOUND)
        assertFails(ta_token_revoke(s, Members.alice, t.id), TA_NOT_FOUND)
        assertFails(ta_token_delete(s, Members.alice, t.id), TA_NOT_FOUND)
        assertFails(rotateRaw(s, actor: .str(Members.alice), .str(t.id)).status, TA_NOT_FOUND)
        // Visible to the auditor (ListAccessTokens) but not manageable: PERMISSION_DENIED.
        assertFails(ta_token_rename(s, Members.auditor, t.id, "x"), TA_PERMISSION_DENIED)
        assertFails(ta_token_set_active(s, Members.auditor, t.id, false), TA_PERMISSION_DENIED)
        assertFails(ta_token_set_active(s, Members.auditor, t.id, true), TA_PERMISSION_DENIED)
        assertFails(ta_token_revoke(s, Members.auditor, t.id), TA_PERMISSION_DENIED)
        assertFails(ta_token_delete(s, Members.auditor, t.id), TA_PERMISSION_DENIED)
        assertFails(rotateRaw(s, actor: .str(Members.auditor), .str(t.id)).status, TA_PERMISSION_DENIED)
        assertVerdict(verify(s, t.secret), TA_OK, "a refused call changed the token")
        XCTAssertEqual(try tokenGet(s, t.id)["name"] as? String, "service")
        // svcmgr may do all of it.
        assertStatus(ta_token_rename(s, Members.svc, t.id, "renamed"), TA_OK)
        assertStatus(ta_token_set_active(s, Members.svc, t.id, false), TA_OK)
        assertStatus(ta_token_set_active(s, Members.svc, t.id, true), TA_OK)
        let r = try rotate(s, actor: Members.svc, t.id)
        assertStatus(ta_token_revoke(s, Members.svc, r.id), TA_OK)
        assertStatus(ta_token_delete(s, Members.svc, r.id), TA_OK)
        // Another ManageServiceAccessTokens holder may manage a token it did not create.
        putMember(s, "svc2", "ManageServiceAccessTokens")
        assertStatus(ta_token_rename(s, "svc2", t.id, "by svc2"), TA_OK)
    }

    func testCreatorWhoLostTheActionNoLongerSeesIt() throws {
        let s = try seededStore()
        let t = try service(s, scopes: "tickets:read")
        putMember(s, Members.svc, "tickets:write assets:write")
        assertFails(ta_token_rename(s, Members.svc, t.id, "x"), TA_NOT_FOUND)
        XCTAssertEqual(try tokenList(s, actor: Members.svc).count, 0)
    }

    func testRotatingNeedsEveryScopeOfTheToken() throws {
        let s = try seededStore()
        let t = try service(s, scopes: "tickets:write assets:write")
        putMember(s, "svclow", "tickets:write ManageServiceAccessTokens")
        let r = rotateRaw(s, actor: "svclow", .str(t.id))
        assertFails(r.status, TA_PERMISSION_DENIED, "rotation hands over the token's power")
        XCTAssertNil(r.secret)
        assertVerdict(verify(s, t.secret), TA_OK, "a refused rotation touched the token")
        // The same member may still rename it (no scope needed for that).
        assertStatus(ta_token_rename(s, "svclow", t.id, "renamed"), TA_OK)
        // An actor holding the scopes through implication (assets:write via admin) may rotate.
        let n = try rotate(s, actor: Members.admin, t.id)
        assertVerdict(verify(s, n.secret, "assets:write tickets:write"), TA_OK)
        XCTAssertEqual(try tokenGet(s, n.id)["created_by"] as? String, Members.admin)
        // The creator holding exactly the scopes may rotate the new one.
        let n2 = try rotate(s, actor: Members.svc, n.id)
        assertVerdict(verify(s, n2.secret, "assets:write"), TA_OK)
    }

    func testRotatingWithScopesHeldThroughImplication() throws {
        let s = try seededStore()
        let t = try service(s, actor: nil, scopes: "tickets:read")
        // svcmgr holds tickets:write, which implies tickets:read.
        let n = try rotate(s, actor: Members.svc, t.id)
        assertVerdict(verify(s, n.secret, "tickets:read"), TA_OK)
    }
}
