// Rename, deactivate/activate, revoke, delete, and what each does to a revoked token.

import CTokenAuth
import Foundation
import XCTest

final class LifecycleTests: ABITestCase {
    func testRename() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, name: "first", scopes: "tickets:read")
        assertStatus(ta_token_rename(s, Members.alice, t.id, "second"), TA_OK)
        XCTAssertEqual(try tokenGet(s, t.id)["name"] as? String, "second")
        let utf8 = "Zoë's integration — 東京 🚀"
        assertStatus(ta_token_rename(s, Members.alice, t.id, utf8), TA_OK)
        XCTAssertEqual(try tokenGet(s, t.id)["name"] as? String, utf8)
        let max = String(repeating: "n", count: 200)
        assertStatus(ta_token_rename(s, Members.alice, t.id, max), TA_OK)
        XCTAssertEqual(try tokenGet(s, t.id)["name"] as? String, max)
        // Quotes, backslashes and control characters survive JSON.
        let tricky = "a \"quoted\" \\ name\nwith a newline, a tab\t, a \u{01} and a \u{7F}"
        assertStatus(ta_token_rename(s, Members.alice, t.id, tricky), TA_OK)
        XCTAssertEqual(try tokenGet(s, t.id)["name"] as? String, tricky)

        assertFails(ta_token_rename(s, Members.alice, t.id, ""), TA_INVALID_ARGUMENT)
        assertFails(ta_token_rename(s, Members.alice, t.id, String(repeating: "n", count: 201)), TA_INVALID_ARGUMENT)
        // 200 bytes, not 200 characters: 67 × "é" (2 bytes) = 134 ok; 101 × "é" = 202 bytes too long.
        assertStatus(ta_token_rename(s, Members.alice, t.id, String(repeating: "é", count: 100)), TA_OK)
        assertFails(ta_token_rename(s, Members.alice, t.id, String(repeating: "é", count: 101)), TA_INVALID_ARGUMENT)
        XCTAssertEqual(try tokenGet(s, t.id)["name"] as? String, String(repeating: "é", count: 100))
        assertVerdict(verify(s, t.secret), TA_OK, "renaming does not touch verification")
        let renamed = events(s, "event=token.renamed token=\(t.id)")
        XCTAssertEqual(renamed.count, 5)
        XCTAssertEqual(detail(renamed.first ?? [:])["name"] as? String, String(repeating: "é", count: 100))
    }

    func testDeactivateAndActivate() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_token_set_active(s, Members.alice, t.id, false), TA_OK)
        let j = try tokenGet(s, t.id)
        XCTAssertEqual(j["status"] as? String, "inactive")
        XCTAssertEqual(strings(j["effective_scopes"]), [], "[] unless status is active")
        assertVerdict(verify(s, t.secret), TA_INACTIVE)
        // Deactivating twice is fine and audited both times.
        assertStatus(ta_token_set_active(s, Members.alice, t.id, false), TA_OK)
        assertStatus(ta_token_set_active(s, Members.alice, t.id, true), TA_OK)
        XCTAssertEqual(try tokenGet(s, t.id)["status"] as? String, "active")
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK)
        // Activating an active token changes nothing but is still audited.
        assertStatus(ta_token_set_active(s, Members.alice, t.id, true), TA_OK)
        XCTAssertEqual(events(s, "event=token.deactivated token=\(t.id)").count, 2)
        XCTAssertEqual(events(s, "event=token.activated token=\(t.id)").count, 2)
    }

    func testRevokeKeepsTheRecord() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, name: "to revoke", scopes: "tickets:read")
        assertStatus(ta_token_revoke(s, Members.alice, t.id), TA_OK)
        assertVerdict(verify(s, t.secret), TA_REVOKED)
        let j = try tokenGet(s, actor: Members.alice, t.id)
        XCTAssertEqual(j["status"] as? String, "revoked")
        XCTAssertEqual(j["name"] as? String, "to revoke")
        XCTAssertEqual(strings(j["effective_scopes"]), [])
        XCTAssertEqual(strings(j["scopes"]), ["tickets:read"])
        XCTAssertEqual(ids(try tokenList(s, actor: Members.alice)), [t.id])
        XCTAssertEqual(events(s, "event=token.revoked token=\(t.id)").count, 1)
    }

    func testWhatARevokedTokenAllows() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_token_revoke(s, Members.alice, t.id), TA_OK)
        // Harmless: rename, deactivate, revoke again.
        assertStatus(ta_token_rename(s, Members.alice, t.id, "still revoked"), TA_OK)
        assertStatus(ta_token_set_active(s, Members.alice, t.id, false), TA_OK)
        assertStatus(ta_token_revoke(s, Members.alice, t.id), TA_OK)
        XCTAssertEqual(try tokenGet(s, t.id)["status"] as? String, "revoked")
        XCTAssertEqual(try tokenGet(s, t.id)["name"] as? String, "still revoked")
        // Forbidden by state: activate, rotate.
        assertFails(ta_token_set_active(s, Members.alice, t.id, true), TA_CONFLICT)
        let r = rotateRaw(s, actor: .str(Members.alice), .str(t.id))
        assertFails(r.status, TA_CONFLICT)
        XCTAssertNil(r.secret)
        XCTAssertNil(r.id)
        assertVerdict(verify(s, t.secret), TA_REVOKED)
        XCTAssertEqual(try tokenGet(s, t.id)["status"] as? String, "revoked")
        XCTAssertEqual(try tokenList(s).count, 1, "a refused rotation created a token")
        // Deleting a revoked token is fine.
        assertStatus(ta_token_delete(s, Members.alice, t.id), TA_OK)
    }

    func testDelete() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let keep = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(s, t.secret), TA_OK)
        assertStatus(ta_token_rename(s, Members.alice, t.id, "doomed"), TA_OK)
        assertStatus(ta_token_delete(s, Members.alice, t.id), TA_OK)
        let v = verify(s, t.secret)
        assertVerdict(v, TA_UNKNOWN_TOKEN)
        XCTAssertEqual(v.tokenID, "")
        assertFails(callOut { ta_token_get(s, nil, t.id, $0) }.status, TA_NOT_FOUND)
        assertFails(callOut { ta_token_get(s, Members.alice, t.id, $0) }.status, TA_NOT_FOUND)
        assertFails(callOut { ta_token_stats(s, nil, t.id, 0, $0) }.status, TA_NOT_FOUND)
        assertFails(ta_token_rename(s, Members.alice, t.id, "x"), TA_NOT_FOUND)
        assertFails(ta_token_set_active(s, nil, t.id, true), TA_NOT_FOUND)
        assertFails(ta_token_revoke(s, nil, t.id), TA_NOT_FOUND)
        assertFails(ta_token_delete(s, nil, t.id), TA_NOT_FOUND)
        assertFails(rotateRaw(s, actor: .str(Members.alice), .str(t.id)).status, TA_NOT_FOUND)
        assertFails(ta_record_usage(s, t.id, "GET /x", 200), TA_NOT_FOUND)
        XCTAssertEqual(ids(try tokenList(s)), [keep.id])
        // Audit entries stay.
        let e = events(s, "token=\(t.id)").compactMap { $0["event"] as? String }
        XCTAssertEqual(e, ["token.deleted", "token.renamed", "token.created"])
        // The report does not list it.
        let rep = try report(s)
        XCTAssertEqual((rep["tokens"] as? [[String: Any]] ?? []).compactMap { $0["token_id"] as? String }, [keep.id])
    }

    func testEveryManagementCallIsAuditedEvenWhenItChangesNothing() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, name: "same", scopes: "tickets:read")
        let before = events(s).count
        assertStatus(ta_token_rename(s, Members.alice, t.id, "same"), TA_OK)
        assertStatus(ta_token_set_active(s, Members.alice, t.id, true), TA_OK)
        putMember(s, Members.carol, "tickets:read")  // the same permissions again
        setMemberActive(s, Members.carol, true)
        assertStatus(ta_scope_define(s, "tickets:read", nil, nil), TA_OK)
        XCTAssertEqual(events(s).count, before + 5)
    }
}
