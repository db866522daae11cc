// Members: ta_member_put / ta_member_set_active / ta_member_remove / ta_member_list.

import CTokenAuth
import Foundation
import XCTest

final class MemberTests: ABITestCase {
    private func member(_ s: OpaquePointer, _ id: String) throws -> [String: Any]? {
        try memberList(s).first { $0["id"] as? String == id }
    }

    func testPutAndList() throws {
        let s = try openStore()
        putMember(s, "zed", "tickets:read ManagePersonalAccessTokens tickets:read ListAccessTokens")
        putMember(s, "amy", "")
        putMember(s, "user@example.com", "tickets:write")
        putMember(s, "Bob.Smith_1:x-y", "admin ManageServiceAccessTokens")
        let list = try memberList(s)
        let ids = list.compactMap { $0["id"] as? String }
        XCTAssertEqual(ids, sortedBytewise(["zed", "amy", "user@example.com", "Bob.Smith_1:x-y"]))
        let zed = try XCTUnwrap(list.first { $0["id"] as? String == "zed" })
        XCTAssertEqual(strings(zed["permissions"]), ["ListAccessTokens", "ManagePersonalAccessTokens", "tickets:read"],
                       "sorted by bytes, no duplicates")
        XCTAssertEqual(bool(zed["active"]), true)
        XCTAssertEqual(strings(list.first { $0["id"] as? String == "amy" }?["permissions"]), [])
        XCTAssertEqual(strings(try member(s, "user@example.com")?["permissions"]), ["tickets:write"],
                       "permissions as given, not expanded")
        // Updating replaces the permissions.
        putMember(s, "zed", "users:read")
        XCTAssertEqual(strings(try member(s, "zed")?["permissions"]), ["users:read"])
        XCTAssertEqual(try memberList(s).count, 4)
    }

    func testSetActive() throws {
        let s = try openStore()
        putMember(s, "amy", "tickets:read")
        setMemberActive(s, "amy", false)
        XCTAssertEqual(bool(try member(s, "amy")?["active"]), false)
        setMemberActive(s, "amy", false)
        setMemberActive(s, "amy", true)
        XCTAssertEqual(bool(try member(s, "amy")?["active"]), true)
        assertFails(ta_member_set_active(s, "nobody", true), TA_NOT_FOUND)
    }

    func testRemove() throws {
        let s = try openStore()
        putMember(s, "amy", "tickets:read ManagePersonalAccessTokens")
        let t = try create(s, actor: "amy", scopes: "tickets:read")
        let t2 = try create(s, actor: "amy", scopes: "tickets:read")
        removeMember(s, "amy")
        XCTAssertNil(try member(s, "amy"), "removed members are not listed")
        assertFails(ta_member_remove(s, "amy"), TA_NOT_FOUND)
        assertFails(ta_member_set_active(s, "amy", true), TA_NOT_FOUND)
        assertFails(ta_member_remove(s, "nobody"), TA_NOT_FOUND)
        assertVerdict(verify(s, t.secret), TA_REVOKED)
        assertVerdict(verify(s, t2.secret), TA_REVOKED)
        let removed = events(s, "event=member.removed")
        XCTAssertEqual(removed.count, 1)
        XCTAssertEqual(removed.first?["member_id"] as? String, "amy")
        XCTAssertNotNil(detail(removed.first ?? [:])["revoked_tokens"])
        // Re-adding the id makes a fresh, active member.
        putMember(s, "amy", "tickets:read")
        XCTAssertEqual(bool(try member(s, "amy")?["active"]), true)
        XCTAssertEqual(strings(try member(s, "amy")?["permissions"]), ["tickets:read"])
    }

    func testSystemIsReserved() throws {
        let s = try openStore()
        let before = snapshot(s)
        assertFails(ta_member_put(s, "system", "admin"), TA_INVALID_ARGUMENT)
        assertFails(ta_member_set_active(s, "system", false), TA_INVALID_ARGUMENT)
        assertFails(ta_member_remove(s, "system"), TA_INVALID_ARGUMENT)
        // ... and as an actor.
        assertFails(createRaw(s, actor: "system", kind: TA_KIND_SERVICE, scopes: "tickets:read").status, TA_INVALID_ARGUMENT)
        assertFails(callOut { ta_token_list(s, "system", nil, $0) }.status, TA_INVALID_ARGUMENT)
        assertFails(callOut { ta_audit(s, "system", nil, $0) }.status, TA_INVALID_ARGUMENT)
        XCTAssertEqual(snapshot(s), before)
        // Other ids that merely contain it are fine.
        putMember(s, "system2", "")
        putMember(s, "System", "")
    }

    func testPermissionsValidation() throws {
        let s = try openStore()
        let before = snapshot(s)
        assertFails(ta_member_put(s, "amy", nil), TA_INVALID_ARGUMENT, "permissions NULL")
        assertFails(ta_member_put(s, "amy", "widgets:read"), TA_UNKNOWN_SCOPE)
        assertFails(ta_member_put(s, "amy", "tickets:read widgets:read"), TA_UNKNOWN_SCOPE)
        assertFails(ta_member_put(s, "amy", "listaccesstokens"), TA_UNKNOWN_SCOPE, "IAM actions are case-sensitive")
        assertFails(ta_member_put(s, "amy", "Tickets:read"), TA_INVALID_ARGUMENT, "neither an action nor scope syntax")
        assertFails(ta_member_put(s, "amy", "ManageEverything"), TA_INVALID_ARGUMENT)
        assertFails(ta_member_put(s, "amy", "tickets:read\tusers:read"), TA_INVALID_ARGUMENT)
        assertFails(ta_member_put(s, "amy", oneMiB), TA_INVALID_ARGUMENT)
        withCArgs([.bytes(invalidUTF8)]) { p in
            assertFails(ta_member_put(s, "amy", p[0]), TA_INVALID_ARGUMENT)
        }
        XCTAssertEqual(snapshot(s), before, "a refused put wrote something")
        XCTAssertNil(try member(s, "amy"))
        // A failed update leaves the old permissions.
        putMember(s, "amy", "tickets:read")
        assertFails(ta_member_put(s, "amy", "widgets:read"), TA_UNKNOWN_SCOPE)
        XCTAssertEqual(strings(try member(s, "amy")?["permissions"]), ["tickets:read"])
    }

    func testMemberIdValidation() throws {
        let s = try openStore()
        let before = snapshot(s)
        let bad: [CArg] = [nil, "", "a b", "a/b", "a\tb", "ä", "a\"b", .str(String(repeating: "m", count: 64)),
                           .bytes(invalidUTF8), .str(oneMiB)]
        for id in bad {
            withCArgs([id]) { p in
                assertFails(ta_member_put(s, p[0], ""), TA_INVALID_ARGUMENT, "put \(id)")
                assertFails(ta_member_set_active(s, p[0], true), TA_INVALID_ARGUMENT, "set_active \(id)")
                assertFails(ta_member_remove(s, p[0]), TA_INVALID_ARGUMENT, "remove \(id)")
            }
        }
        XCTAssertEqual(snapshot(s), before)
        putMember(s, String(repeating: "m", count: 63), "")
        putMember(s, "A-Z.a_z:0@9", "")
    }

    func testMemberEventsAreAudited() throws {
        let s = try openStore()
        putMember(s, "amy", "tickets:read ListAccessTokens")
        setMemberActive(s, "amy", false)
        setMemberActive(s, "amy", true)
        removeMember(s, "amy")
        let e = try auditLog(s).filter { $0["member_id"] as? String == "amy" }
        XCTAssertEqual(e.compactMap { $0["event"] as? String },
                       ["member.removed", "member.activated", "member.deactivated", "member.put"])
        XCTAssertTrue(e.allSatisfy { $0["actor"] as? String == "system" })
        let perms = detail(e.last ?? [:])["permissions"]
        let permWords: [String] = (perms as? [String]) ?? ((perms as? String)?.split(separator: " ").map(String.init) ?? [])
        XCTAssertEqual(Set(permWords), ["tickets:read", "ListAccessTokens"])
    }

    func testMemberListBadArguments() throws {
        let s = try openStore()
        assertFails(callOut { ta_member_list(nil, $0) }.status, TA_INVALID_ARGUMENT)
        assertFails(ta_member_list(s, nil), TA_INVALID_ARGUMENT)
        assertFails(ta_member_put(nil, "amy", ""), TA_INVALID_ARGUMENT)
        assertFails(ta_member_set_active(nil, "amy", true), TA_INVALID_ARGUMENT)
        assertFails(ta_member_remove(nil, "amy"), TA_INVALID_ARGUMENT)
    }
}
