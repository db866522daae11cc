// IAM: who sees which token (ListAccessTokens / ManageServiceAccessTokens / own personal tokens),
// who may manage it, NOT_FOUND vs PERMISSION_DENIED, inactive and unknown actors, check order,
// and the aggregated iam.denied audit entries.

import CTokenAuth
import Foundation
import XCTest

final class IAMTests: ABITestCase {
    private struct Fixture {
        let s: OpaquePointer
        let a: NewToken  // alice's personal
        let b: NewToken  // bob's personal
        let sv: NewToken // service (svcmgr)
    }

    private func fixture() throws -> Fixture {
        let s = try seededStore()
        let a = try create(s, actor: Members.alice, name: "alice token", scopes: "tickets:read")
        let b = try create(s, actor: Members.bob, name: "bob token", scopes: "tickets:read")
        let sv = try service(s, name: "service token", scopes: "tickets:read")
        return Fixture(s: s, a: a, b: b, sv: sv)
    }

    func testVisibilityTable() throws {
        let f = try fixture()
        let s = f.s
        // ListAccessTokens sees everything.
        XCTAssertEqual(Set(ids(try tokenList(s, actor: Members.auditor))), [f.a.id, f.b.id, f.sv.id])
        XCTAssertEqual(Set(ids(try tokenList(s, actor: Members.admin))), [f.a.id, f.b.id, f.sv.id])
        XCTAssertEqual(Set(ids(try tokenList(s, actor: nil))), [f.a.id, f.b.id, f.sv.id])
        // ManageServiceAccessTokens sees every service token.
        XCTAssertEqual(ids(try tokenList(s, actor: Members.svc)), [f.sv.id])
        // Everyone sees their own personal tokens.
        XCTAssertEqual(ids(try tokenList(s, actor: Members.alice)), [f.a.id])
        XCTAssertEqual(ids(try tokenList(s, actor: Members.bob)), [f.b.id])
        XCTAssertEqual(ids(try tokenList(s, actor: Members.carol)), [])
        // Filters never widen visibility.
        XCTAssertEqual(ids(try tokenList(s, actor: Members.alice, "owner=bob")), [])
        XCTAssertEqual(ids(try tokenList(s, actor: Members.alice, "kind=service")), [])
        // get follows the same table.
        for (actor, id, visible) in [
            (Members.auditor, f.a.id, true), (Members.auditor, f.sv.id, true),
            (Members.svc, f.sv.id, true), (Members.svc, f.a.id, false),
            (Members.alice, f.a.id, true), (Members.alice, f.b.id, false), (Members.alice, f.sv.id, false),
            (Members.carol, f.a.id, false), (Members.carol, f.sv.id, false),
        ] {
            let (st, _) = callOut { ta_token_get(s, actor, id, $0) }
            assertStatus(st, visible ? TA_OK : TA_NOT_FOUND, "\(actor) get \(id)")
            let (st2, _) = callOut { ta_token_stats(s, actor, id, 0, $0) }
            assertStatus(st2, visible ? TA_OK : TA_NOT_FOUND, "\(actor) stats \(id)")
        }
        // The report lists only visible tokens.
        let rep = try report(s, actor: Members.alice)
        let repIDs = (rep["tokens"] as? [[String: Any]] ?? []).compactMap { $0["token_id"] as? String }
        XCTAssertEqual(repIDs, [f.a.id])
        let repSvc = try report(s, actor: Members.svc)
        XCTAssertEqual((repSvc["tokens"] as? [[String: Any]] ?? []).compactMap { $0["token_id"] as? String }, [f.sv.id])
    }

    func testInvisibleTokenIsNotFoundForEveryCall() throws {
        let f = try fixture()
        let s = f.s
        let before = ta_token_get_json(s, f.b.id)
        assertFails(ta_token_rename(s, Members.alice, f.b.id, "x"), TA_NOT_FOUND)
        assertFails(ta_token_set_active(s, Members.alice, f.b.id, false), TA_NOT_FOUND)
        assertFails(ta_token_set_active(s, Members.alice, f.b.id, true), TA_NOT_FOUND)
        assertFails(ta_token_revoke(s, Members.alice, f.b.id), TA_NOT_FOUND)
        assertFails(ta_token_delete(s, Members.alice, f.b.id), TA_NOT_FOUND)
        assertFails(rotateRaw(s, actor: .str(Members.alice), .str(f.b.id)).status, TA_NOT_FOUND)
        assertFails(callOut { ta_token_get(s, Members.alice, f.b.id, $0) }.status, TA_NOT_FOUND)
        assertFails(callOut { ta_token_stats(s, Members.alice, f.b.id, 0, $0) }.status, TA_NOT_FOUND)
        // Same answer as for a token that does not exist at all.
        assertFails(ta_token_rename(s, Members.alice, "tok_0000000000000000", "x"), TA_NOT_FOUND)
        XCTAssertEqual(ta_token_get_json(s, f.b.id), before, "a refused call changed the token")
        assertVerdict(verify(s, f.b.secret), TA_OK)
    }

    /// ta_token_get as the host, as raw text minus usage fields.
    private func ta_token_get_json(_ s: OpaquePointer, _ id: String) -> String {
        callOut { ta_token_get(s, nil, id, $0) }.text ?? "<none>"
    }

    func testVisibleButNotManageableIsPermissionDenied() throws {
        let f = try fixture()
        let s = f.s
        // The auditor sees bob's token but may not manage it; so does a ListAccessTokens holder that
        // also has ManagePersonalAccessTokens (not the owner).
        putMember(s, "lead", "ListAccessTokens ManagePersonalAccessTokens tickets:read")
        for actor in [Members.auditor, "lead"] {
            assertFails(ta_token_rename(s, actor, f.b.id, "x"), TA_PERMISSION_DENIED, actor)
            assertFails(ta_token_set_active(s, actor, f.b.id, false), TA_PERMISSION_DENIED, actor)
            assertFails(ta_token_revoke(s, actor, f.b.id), TA_PERMISSION_DENIED, actor)
            assertFails(ta_token_delete(s, actor, f.b.id), TA_PERMISSION_DENIED, actor)
            assertFails(rotateRaw(s, actor: .str(actor), .str(f.b.id)).status, TA_PERMISSION_DENIED, actor)
            // Reading is allowed.
            assertStatus(callOut { ta_token_get(s, actor, f.b.id, $0) }.status, TA_OK)
        }
        assertVerdict(verify(s, f.b.secret), TA_OK)
    }

    func testAdminManagesOthersPersonalTokensButCannotRotateThem() throws {
        let f = try fixture()
        let s = f.s
        assertStatus(ta_token_rename(s, Members.admin, f.b.id, "renamed by admin"), TA_OK)
        XCTAssertEqual(try tokenGet(s, f.b.id)["name"] as? String, "renamed by admin")
        assertStatus(ta_token_set_active(s, Members.admin, f.b.id, false), TA_OK)
        assertVerdict(verify(s, f.b.secret), TA_INACTIVE)
        assertStatus(ta_token_set_active(s, Members.admin, f.b.id, true), TA_OK)
        assertVerdict(verify(s, f.b.secret), TA_OK)
        let r = rotateRaw(s, actor: .str(Members.admin), .str(f.b.id))
        assertFails(r.status, TA_PERMISSION_DENIED, "only the owner may rotate a personal token")
        XCTAssertNil(r.secret)
        assertVerdict(verify(s, f.b.secret), TA_OK)
        assertStatus(ta_token_revoke(s, Members.admin, f.b.id), TA_OK)
        assertVerdict(verify(s, f.b.secret), TA_REVOKED)
        assertStatus(ta_token_delete(s, Members.admin, f.b.id), TA_OK)
        assertVerdict(verify(s, f.b.secret), TA_UNKNOWN_TOKEN)
        // The owner may rotate their own.
        _ = try rotate(s, actor: Members.alice, f.a.id)
    }

    func testInactiveActorIsDeniedEverything() throws {
        let f = try fixture()
        let s = f.s
        setMemberActive(s, Members.alice, false)
        setMemberActive(s, Members.admin, false)
        for actor in [Members.alice, Members.admin] {
            try assertDeniedEverything(s, actor: actor, own: f.a.id)
        }
        // The token of an inactive owner fails with OWNER_INACTIVE, not a management status.
        assertVerdict(verify(s, f.a.secret), TA_OWNER_INACTIVE)
        setMemberActive(s, Members.alice, true)
        assertStatus(ta_token_rename(s, Members.alice, f.a.id, "back"), TA_OK)
    }

    func testUnknownAndRemovedActorsAreDeniedEverything() throws {
        let f = try fixture()
        let s = f.s
        try assertDeniedEverything(s, actor: "ghost", own: f.a.id)
        removeMember(s, Members.bob)
        try assertDeniedEverything(s, actor: Members.bob, own: f.b.id)
    }

    private func assertDeniedEverything(_ s: OpaquePointer, actor: String, own: String,
                                        file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try tokenList(s).count
        let c = createRaw(s, actor: .str(actor), scopes: "tickets:read", file: file, line: line)
        assertFails(c.status, TA_PERMISSION_DENIED, "\(actor) create", file: file, line: line)
        assertFails(createRaw(s, actor: .str(actor), kind: TA_KIND_SERVICE, scopes: "tickets:read", file: file, line: line).status,
                    TA_PERMISSION_DENIED, "\(actor) create service", file: file, line: line)
        assertFails(ta_token_rename(s, actor, own, "x"), TA_PERMISSION_DENIED, "\(actor) rename", file: file, line: line)
        assertFails(ta_token_set_active(s, actor, own, false), TA_PERMISSION_DENIED, "\(actor) deactivate", file: file, line: line)
        assertFails(ta_token_set_active(s, actor, own, true), TA_PERMISSION_DENIED, "\(actor) activate", file: file, line: line)
        assertFails(ta_token_revoke(s, actor, own), TA_PERMISSION_DENIED, "\(actor) revoke", file: file, line: line)
        assertFails(ta_token_delete(s, actor, own), TA_PERMISSION_DENIED, "\(actor) delete", file: file, line: line)
        assertFails(rotateRaw(s, actor: .str(actor), .str(own), file: file, line: line).status, TA_PERMISSION_DENIED,
                    "\(actor) rotate", file: file, line: line)
        assertFails(callOut(file: file, line: line) { ta_token_list(s, actor, nil, $0) }.status, TA_PERMISSION_DENIED,
                    "\(actor) list", file: file, line: line)
        assertFails(callOut(file: file, line: line) { ta_token_get(s, actor, own, $0) }.status, TA_PERMISSION_DENIED,
                    "\(actor) get", file: file, line: line)
        assertFails(callOut(file: file, line: line) { ta_token_stats(s, actor, own, 0, $0) }.status, TA_PERMISSION_DENIED,
                    "\(actor) stats", file: file, line: line)
        assertFails(callOut(file: file, line: line) { ta_report(s, actor, 0, $0) }.status, TA_PERMISSION_DENIED,
                    "\(actor) report", file: file, line: line)
        assertFails(callOut(file: file, line: line) { ta_audit(s, actor, nil, $0) }.status, TA_PERMISSION_DENIED,
                    "\(actor) audit", file: file, line: line)
        // Even for a token id that does not exist, and with an unknown scope (actor is checked first).
        assertFails(ta_token_rename(s, actor, "tok_0000000000000000", "x"), TA_PERMISSION_DENIED, file: file, line: line)
        assertFails(createRaw(s, actor: .str(actor), scopes: "widgets:read", file: file, line: line).status,
                    TA_PERMISSION_DENIED, "actor before scopes", file: file, line: line)
        XCTAssertEqual(try tokenList(s).count, before, "a refused create added a token", file: file, line: line)
    }

    func testPermissionChecksComeBeforeStateChecks() throws {
        let f = try fixture()
        let s = f.s
        assertStatus(ta_token_revoke(s, Members.bob, f.b.id), TA_OK)
        // Visible, not manageable, revoked: PERMISSION_DENIED, not CONFLICT.
        assertFails(ta_token_set_active(s, Members.auditor, f.b.id, true), TA_PERMISSION_DENIED)
        assertFails(rotateRaw(s, actor: .str(Members.auditor), .str(f.b.id)).status, TA_PERMISSION_DENIED)
        // Invisible and revoked: NOT_FOUND.
        assertFails(ta_token_set_active(s, Members.alice, f.b.id, true), TA_NOT_FOUND)
        assertFails(rotateRaw(s, actor: .str(Members.alice), .str(f.b.id)).status, TA_NOT_FOUND)
        // The owner: CONFLICT.
        assertFails(ta_token_set_active(s, Members.bob, f.b.id, true), TA_CONFLICT)
        assertFails(rotateRaw(s, actor: .str(Members.bob), .str(f.b.id)).status, TA_CONFLICT)
        // Unknown scope comes before visibility (DECISIONS): a service create by alice with an
        // unknown scope is UNKNOWN_SCOPE, not PERMISSION_DENIED.
        assertFails(createRaw(s, actor: .str(Members.alice), kind: TA_KIND_SERVICE, scopes: "widgets:read").status,
                    TA_UNKNOWN_SCOPE)
    }

    func testRefusalsAreAuditedAsAggregatedIAMDenied() throws {
        let f = try fixture()
        let s = f.s
        // Visible but not manageable, twice in the same minute.
        assertStatus(ta_token_rename(s, Members.auditor, f.a.id, "x"), TA_PERMISSION_DENIED)
        ta_set_clock(s, T0 + 5 * SECOND)
        assertStatus(ta_token_rename(s, Members.auditor, f.a.id, "y"), TA_PERMISSION_DENIED)
        var e = events(s, "event=iam.denied actor=auditor")
        XCTAssertEqual(e.count, 1, "two refusals in one minute must be one entry: \(e)")
        if let d = e.first {
            XCTAssertEqual(d["token_id"] as? String, f.a.id)
            XCTAssertEqual(d["actor"] as? String, Members.auditor)
            XCTAssertEqual(int64(d["at"]), T0, "\"at\" is the first refusal")
            let det = detail(d)
            XCTAssertEqual(det["action"] as? String, "token_rename")
            XCTAssertEqual(int64(det["count"]), 2)
            XCTAssertEqual(int64(det["first_at"]), T0)
            XCTAssertEqual(int64(det["last_at"]), T0 + 5 * SECOND)
        }
        // Another action is another entry; the next minute is another entry.
        assertStatus(ta_token_revoke(s, Members.auditor, f.a.id), TA_PERMISSION_DENIED)
        ta_set_clock(s, T0 + MINUTE + SECOND)
        assertStatus(ta_token_rename(s, Members.auditor, f.a.id, "z"), TA_PERMISSION_DENIED)
        e = events(s, "event=iam.denied actor=auditor")
        XCTAssertEqual(e.count, 3)
        let actions = e.map { detail($0)["action"] as? String ?? "?" }
        XCTAssertEqual(actions, ["token_rename", "token_revoke", "token_rename"], "newest first")
        XCTAssertEqual(int64(detail(e.first ?? [:])["count"]), 1)

        // NOT_FOUND for an existing but invisible token is audited too (get, twice).
        _ = callOut { ta_token_get(s, Members.alice, f.b.id, $0) }
        _ = callOut { ta_token_get(s, Members.alice, f.b.id, $0) }
        let g = events(s, "event=iam.denied actor=alice")
        XCTAssertEqual(g.count, 1)
        XCTAssertEqual(g.first?["token_id"] as? String, f.b.id)
        XCTAssertEqual(detail(g.first ?? [:])["action"] as? String, "token_get")
        XCTAssertEqual(int64(detail(g.first ?? [:])["count"]), 2)

        // A different token is a different entry.
        _ = callOut { ta_token_get(s, Members.alice, f.sv.id, $0) }
        XCTAssertEqual(events(s, "event=iam.denied actor=alice").count, 2)

        // Other refusals write nothing: a token that does not exist, bad arguments, conflicts.
        let before = events(s).count
        assertStatus(ta_token_rename(s, Members.alice, "tok_0000000000000000", "x"), TA_NOT_FOUND)
        assertStatus(ta_token_rename(s, Members.alice, f.a.id, ""), TA_INVALID_ARGUMENT)
        assertStatus(ta_token_revoke(s, Members.alice, f.a.id), TA_OK)
        let afterRevoke = events(s).count
        XCTAssertEqual(afterRevoke, before + 1, "only the revoke itself is written")
        assertStatus(ta_token_set_active(s, Members.alice, f.a.id, true), TA_CONFLICT)
        XCTAssertEqual(events(s).count, afterRevoke, "a CONFLICT wrote to the audit log")
    }

    func testCreateAndRotateRefusalsAreAudited() throws {
        let f = try fixture()
        let s = f.s
        assertStatus(createRaw(s, actor: .str(Members.alice), kind: TA_KIND_SERVICE, scopes: "tickets:read").status,
                     TA_PERMISSION_DENIED)
        assertStatus(createRaw(s, actor: .str(Members.alice), scopes: "users:write").status, TA_PERMISSION_DENIED)
        let created = events(s, "event=iam.denied actor=alice")
        XCTAssertEqual(created.count, 1, "same (actor, action, token=null, minute): one entry")
        if let e = created.first {
            XCTAssertTrue(isNull(e, "token_id"))
            XCTAssertEqual(detail(e)["action"] as? String, "token_create")
            XCTAssertEqual(int64(detail(e)["count"]), 2)
        }
        putMember(s, "svclow", "ManageServiceAccessTokens")
        assertStatus(rotateRaw(s, actor: "svclow", .str(f.sv.id)).status, TA_PERMISSION_DENIED)
        let rot = events(s, "event=iam.denied actor=svclow")
        XCTAssertEqual(rot.count, 1)
        XCTAssertEqual(rot.first?["token_id"] as? String, f.sv.id)
        XCTAssertEqual(detail(rot.first ?? [:])["action"] as? String, "token_rotate")
    }

    func testListAndReportRefusalsAreAudited() throws {
        let f = try fixture()
        let s = f.s
        _ = callOut { ta_token_list(s, "ghost", nil, $0) }
        _ = callOut { ta_token_list(s, "ghost", nil, $0) }
        _ = callOut { ta_audit(s, Members.alice, nil, $0) }
        _ = callOut { ta_report(s, "ghost", 0, $0) }
        let ghost = events(s, "event=iam.denied actor=ghost")
        let byAction = Dictionary(grouping: ghost) { detail($0)["action"] as? String ?? "?" }
        XCTAssertEqual(byAction["token_list"]?.count, 1)
        XCTAssertEqual(int64(detail(byAction["token_list"]?.first ?? [:])["count"]), 2)
        XCTAssertEqual(byAction["report"]?.count, 1)
        let alice = events(s, "event=iam.denied actor=alice")
        XCTAssertEqual(alice.map { detail($0)["action"] as? String ?? "?" }, ["audit"])
        _ = f
    }

    func testAuditNeedsAdmin() throws {
        let f = try fixture()
        let s = f.s
        for actor in [Members.alice, Members.auditor, Members.svc, Members.carol, "ghost"] {
            assertFails(callOut { ta_audit(s, actor, nil, $0) }.status, TA_PERMISSION_DENIED, actor)
        }
        XCTAssertFalse(try auditLog(s, actor: Members.admin).isEmpty)
        XCTAssertFalse(try auditLog(s, actor: nil).isEmpty)
    }
}
