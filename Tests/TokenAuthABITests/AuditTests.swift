// ta_audit: every event with its actor/token_id/member_id/detail, filters, order, bad queries.

import CTokenAuth
import Foundation
import XCTest

final class AuditTests: ABITestCase {
    private func first(_ entries: [[String: Any]], _ event: String, token: String? = nil, member: String? = nil) -> [String: Any]? {
        entries.first {
            $0["event"] as? String == event
                && (token == nil || $0["token_id"] as? String == token)
                && (member == nil || $0["member_id"] as? String == member)
        }
    }

    func testEveryEventIsRecorded() throws {
        let s = try openStore()
        putMember(s, "alice", "tickets:write ManagePersonalAccessTokens")
        putMember(s, "boss", "admin")
        putMember(s, "bob", "tickets:read")
        setMemberActive(s, "bob", false)
        setMemberActive(s, "bob", true)
        assertStatus(ta_scope_define(s, "reports:read", nil, "Read reports"), TA_OK)
        let t = try create(s, actor: "alice", name: "first", scopes: "tickets:write", expires: T0 + DAY)
        assertStatus(ta_token_rename(s, "alice", t.id, "second"), TA_OK)
        assertStatus(ta_token_set_active(s, "alice", t.id, false), TA_OK)
        assertStatus(ta_token_set_active(s, "boss", t.id, true), TA_OK)
        let r = try rotate(s, actor: "alice", t.id, grace: 1000)
        assertStatus(ta_token_revoke(s, "alice", r.id), TA_OK)
        assertStatus(ta_token_delete(s, "boss", r.id), TA_OK)
        let sv = try service(s, actor: nil, scopes: "reports:read")
        assertVerdict(verify(s, sv.secret, "tickets:read"), TA_FORBIDDEN)
        assertStatus(ta_token_rename(s, "bob", sv.id, "x"), TA_NOT_FOUND)
        removeMember(s, "alice")

        let all = try auditLog(s)
        for e in all {
            for key in ["at", "event", "actor", "token_id", "member_id", "detail"] {
                XCTAssertNotNil(e[key], "audit entry lacks \(key): \(e)")
            }
            XCTAssertNotNil(e["detail"] as? [String: Any], "detail is not an object: \(e)")
            XCTAssertNotNil(int64(e["at"]))
        }

        if let e = first(all, "member.put", member: "alice") {
            XCTAssertEqual(e["actor"] as? String, "system")
            XCTAssertTrue(isNull(e, "token_id"))
            XCTAssertNotNil(detail(e)["permissions"], "member.put detail: \(e)")
        } else { XCTFail("no member.put") }
        XCTAssertNotNil(first(all, "member.deactivated", member: "bob"))
        XCTAssertNotNil(first(all, "member.activated", member: "bob"))
        if let e = first(all, "member.removed", member: "alice") {
            XCTAssertEqual(e["actor"] as? String, "system")
            XCTAssertNotNil(detail(e)["revoked_tokens"], "member.removed detail: \(e)")
        } else { XCTFail("no member.removed") }
        if let e = first(all, "scope.defined") {
            XCTAssertEqual(e["actor"] as? String, "system")
            XCTAssertEqual(detail(e)["scope"] as? String, "reports:read")
            XCTAssertNotNil(detail(e)["implies"])
            XCTAssertEqual(detail(e)["description"] as? String, "Read reports")
        } else { XCTFail("no scope.defined") }
        if let e = first(all, "token.created", token: t.id) {
            XCTAssertEqual(e["actor"] as? String, "alice")
            let d = detail(e)
            XCTAssertEqual(d["name"] as? String, "first")
            XCTAssertEqual(d["kind"] as? String, "personal")
            XCTAssertNotNil(d["scopes"])
            XCTAssertEqual(int64(d["expires_at"]), T0 + DAY)
            XCTAssertTrue(isNull(d, "rotated_from"))
        } else { XCTFail("no token.created") }
        if let e = first(all, "token.created", token: sv.id) {
            XCTAssertEqual(e["actor"] as? String, "system")
            XCTAssertEqual(detail(e)["kind"] as? String, "service")
        } else { XCTFail("no token.created for the service token") }
        XCTAssertEqual(detail(first(all, "token.renamed", token: t.id) ?? [:])["name"] as? String, "second")
        XCTAssertEqual(first(all, "token.deactivated", token: t.id)?["actor"] as? String, "alice")
        XCTAssertEqual(first(all, "token.activated", token: t.id)?["actor"] as? String, "boss")
        XCTAssertEqual(detail(first(all, "token.rotated", token: t.id) ?? [:])["rotated_to"] as? String, r.id)
        XCTAssertEqual(detail(first(all, "token.created", token: r.id) ?? [:])["rotated_from"] as? String, t.id)
        if let e = first(all, "token.revoked", token: r.id) {
            XCTAssertEqual(e["actor"] as? String, "alice")
            XCTAssertNotNil(detail(e)["reason"])
        } else { XCTFail("no token.revoked") }
        XCTAssertEqual(first(all, "token.deleted", token: r.id)?["actor"] as? String, "boss")
        if let e = first(all, "iam.denied", token: sv.id) {
            XCTAssertEqual(e["actor"] as? String, "bob")
            XCTAssertEqual(detail(e)["action"] as? String, "token_rename")
        } else { XCTFail("no iam.denied") }
        if let e = first(all, "verify.denied", token: sv.id) {
            XCTAssertEqual(detail(e)["status"] as? String, "TA_FORBIDDEN")
            XCTAssertEqual(detail(e)["missing_scope"] as? String, "tickets:read")
        } else { XCTFail("no verify.denied") }
        XCTAssertEqual(all.filter { $0["event"] as? String == "token.created" }.count, 3)
    }

    func testMemberTokenIdsAndMemberIds() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let created = events(s, "event=token.created")
        XCTAssertEqual(created.count, 1)
        XCTAssertEqual(created.first?["token_id"] as? String, t.id)
        let puts = events(s, "event=member.put")
        XCTAssertEqual(Set(puts.compactMap { $0["member_id"] as? String }), Set(Members.table.map { $0.0 }))
        XCTAssertTrue(puts.allSatisfy { isNull($0, "token_id") })
    }

    func testFilters() throws {
        let s = try seededStore()
        ta_set_clock(s, T0 + SECOND)
        let a = try create(s, actor: Members.alice, scopes: "tickets:read")
        ta_set_clock(s, T0 + 2 * SECOND)
        let b = try create(s, actor: Members.bob, scopes: "tickets:read")
        ta_set_clock(s, T0 + 3 * SECOND)
        assertStatus(ta_token_rename(s, Members.alice, a.id, "renamed"), TA_OK)
        assertStatus(ta_token_rename(s, Members.bob, b.id, "renamed"), TA_OK)

        let byToken = events(s, "token=\(a.id)")
        XCTAssertEqual(byToken.compactMap { $0["event"] as? String }, ["token.renamed", "token.created"])
        XCTAssertTrue(byToken.allSatisfy { $0["token_id"] as? String == a.id })

        let byActor = events(s, "actor=bob")
        XCTAssertEqual(byActor.compactMap { $0["event"] as? String }, ["token.renamed", "token.created"])
        XCTAssertTrue(byActor.allSatisfy { $0["actor"] as? String == "bob" })
        XCTAssertEqual(events(s, "actor=system").count, Members.table.count, "the host's member.put calls")

        let byEvent = events(s, "event=token.renamed")
        XCTAssertEqual(byEvent.count, 2)
        XCTAssertEqual(events(s, "event=no.such.event").count, 0, "an unknown name matches nothing")
        XCTAssertEqual(events(s, "event=token").count, 0, "event matches exactly")

        // since <= at <= until
        let mid = events(s, "since=\(T0 + 2 * SECOND) until=\(T0 + 2 * SECOND)")
        XCTAssertEqual(mid.count, 1)
        XCTAssertEqual(mid.first?["token_id"] as? String, b.id)
        XCTAssertEqual(events(s, "since=\(T0 + 2 * SECOND)").count, 3)
        XCTAssertEqual(events(s, "until=\(T0)").count, Members.table.count)
        XCTAssertEqual(events(s, "since=\(T0 + 4 * SECOND)").count, 0)
        XCTAssertEqual(events(s, "since=\(T0 + 3 * SECOND) until=\(T0 + SECOND)").count, 0)

        let limited = events(s, "limit=2")
        XCTAssertEqual(limited.count, 2)
        XCTAssertEqual(limited.first?["token_id"] as? String, b.id, "the newest")
        XCTAssertEqual(events(s, "limit=1 event=token.created").first?["token_id"] as? String, b.id)

        // Combined.
        let combined = events(s, "actor=alice event=token.renamed token=\(a.id) since=\(T0) until=\(T0 + DAY) limit=5")
        XCTAssertEqual(combined.count, 1)
        XCTAssertEqual(events(s, "actor=alice token=\(b.id)").count, 0)
    }

    func testBadQueries() throws {
        let s = try seededStore()
        let before = snapshot(s)
        for q in [
            "foo=bar", "limit=0", "limit=-1", "limit=abc", "limit=", "since=x", "until=1.5", "since=", "token=",
            "actor=", "event=", "token=a token=b", "limit=1 limit=2", "event=a event=a", "limit", "=x", "limit==1",
            "actor=bad/id", "token=\(String(repeating: "a", count: 64))", "LIMIT=1", oneMiB,
        ] {
            let (st, text) = callOut("ta_audit(\(q.prefix(40)))") { ta_audit(s, nil, q, $0) }
            assertFails(st, TA_INVALID_ARGUMENT, "query \(q.prefix(60))")
            XCTAssertNil(text)
        }
        withCArgs([.bytes(invalidUTF8)]) { p in
            let (st, _) = callOut { ta_audit(s, nil, p[0], $0) }
            assertFails(st, TA_INVALID_ARGUMENT, "invalid UTF-8 query")
        }
        XCTAssertEqual(snapshot(s), before)
    }

    func testNewestFirst() throws {
        let s = try openStore()
        putMember(s, "m1", "")
        putMember(s, "m2", "")
        putMember(s, "m3", "")
        ta_set_clock(s, T0 + 5)
        putMember(s, "m4", "")
        ta_set_clock(s, T0 - 5 * SECOND)  // a write with an earlier "at" sorts by "at"
        putMember(s, "m0", "")
        let e = try auditLog(s)
        XCTAssertEqual(e.compactMap { $0["member_id"] as? String }, ["m4", "m3", "m2", "m1", "m0"],
                       "ordered by at descending, then newest written first")
        let ats = e.compactMap { int64($0["at"]) }
        XCTAssertEqual(ats, ats.sorted(by: >))
        XCTAssertEqual(ats.first, T0 + 5)
    }

    func testDefaultLimitIs1000() throws {
        let s = try openStore(path: ":memory:")  // 1005 writes: no fsync in memory
        for i in 0..<1005 { _ = ta_member_put(s, "m\(i)", "") }
        XCTAssertEqual(try auditLog(s).count, 1000)
        XCTAssertEqual(try auditLog(s, "limit=2000").count, 1005)
    }

    func testReadsWriteNothing() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let before = events(s).count
        _ = try tokenList(s, actor: Members.alice)
        _ = try tokenGet(s, actor: Members.alice, t.id)
        _ = try stats(s, actor: Members.alice, t.id)
        _ = try report(s, actor: Members.alice)
        _ = try auditLog(s, actor: Members.admin)
        _ = try scopeList(s)
        _ = try memberList(s)
        assertVerdict(verify(s, t.secret), TA_OK)
        assertStatus(ta_flush(s), TA_OK)
        XCTAssertEqual(events(s).count, before)
    }
}
