// What a console over a large store asks: ta_token_page (keyset pages, filters, actions, recent
// uses), ta_token_actions, ta_actor_rights and ta_member_list_for.

import CTokenAuth
import Foundation
import XCTest

final class ConsoleQueryTests: ABITestCase {
    private func page(_ s: OpaquePointer?, actor: String? = nil, _ query: String? = nil, name: String? = nil,
                      file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let v = try json("ta_token_page(\(actor ?? "NULL"), \(query ?? "NULL"))", file: file, line: line) {
            ta_token_page(s, actor, query, name, $0)
        }
        return try XCTUnwrap(v as? [String: Any], "ta_token_page: not an object", file: file, line: line)
    }

    private func tokens(_ page: [String: Any]) -> [[String: Any]] { page["tokens"] as? [[String: Any]] ?? [] }

    /// Every page in turn, following "next", with `limit` tokens a page.
    private func walk(_ s: OpaquePointer?, actor: String? = nil, _ filters: String = "", limit: Int,
                      name: String? = nil) throws -> (ids: [String], pages: Int) {
        var ids: [String] = []
        var after: String?
        var pages = 0
        repeat {
            let query = ([filters, "limit=\(limit)"] + (after.map { ["after=\($0)"] } ?? [])).filter { !$0.isEmpty }
            let p = try page(s, actor: actor, query.joined(separator: " "), name: name)
            ids += tokens(p).compactMap { $0["id"] as? String }
            after = p["next"] as? String
            pages += 1
        } while after != nil && pages < 100
        return (ids, pages)
    }

    private func actions(_ s: OpaquePointer?, actor: String?, _ id: String) throws -> [String] {
        let v = try json("ta_token_actions(\(actor ?? "NULL"), \(id))") { ta_token_actions(s, actor, id, $0) }
        return strings((v as? [String: Any])?["actions"]) ?? []
    }

    private func rights(_ s: OpaquePointer?, actor: String?) throws -> [String: Any] {
        let v = try json("ta_actor_rights(\(actor ?? "NULL"))") { ta_actor_rights(s, actor, $0) }
        return try XCTUnwrap(v as? [String: Any])
    }

    func testPagesWalkEveryTokenNewestFirstWithoutGapsOrRepeats() throws {
        let s = try seededStore()
        var created: [String] = []
        for i in 0..<7 {
            ta_set_clock(s, T0 + Int64(i))
            created.append(try service(s, name: "svc \(i)", scopes: "tickets:read").id)
        }
        let (ids, pages) = try walk(s, limit: 3)
        XCTAssertEqual(ids, created.reversed(), "newest first, every token once")
        XCTAssertEqual(pages, 3)
        let one = try page(s, "limit=7")
        XCTAssertEqual(tokens(one).count, 7)
        XCTAssertEqual(int64(one["as_of"]), T0 + 6)
        XCTAssertEqual(int64(one["usage_flush_ms"]), 1000)
        // The page object is ta_token_list's, plus the actions.
        let listed = try tokenList(s).first { $0["id"] as? String == created[0] } ?? [:]
        var paged = tokens(one).first { $0["id"] as? String == created[0] } ?? [:]
        XCTAssertEqual(strings(paged.removeValue(forKey: "actions")), ["rename", "deactivate", "revoke", "rotate", "delete"])
        XCTAssertEqual(NSDictionary(dictionary: paged), NSDictionary(dictionary: listed))
    }

    func testFiltersNameAndBadQueries() throws {
        let s = try seededStore()
        let mine = try create(s, actor: Members.alice, name: "Alice's Laptop", scopes: "tickets:read")
        let sv = try service(s, name: "helpdesk sync", scopes: "tickets:read")
        let off = try service(s, name: "old sync", scopes: "tickets:read")
        assertStatus(ta_token_set_active(s, nil, off.id, false), TA_OK)
        XCTAssertEqual(try walk(s, "kind=personal", limit: 10).ids, [mine.id])
        XCTAssertEqual(try walk(s, "owner=alice", limit: 10).ids, [mine.id])
        XCTAssertEqual(try walk(s, "status=inactive", limit: 10).ids, [off.id])
        XCTAssertEqual(try walk(s, "kind=service status=active", limit: 10).ids, [sv.id])
        XCTAssertEqual(Set(try walk(s, limit: 10, name: "SYNC").ids), [off.id, sv.id], "case-insensitive substring")
        XCTAssertEqual(try walk(s, limit: 10, name: "laptop").ids, [mine.id])
        XCTAssertEqual(try walk(s, limit: 10, name: "").ids.count, 3, "an empty name filters nothing")
        for bad in ["limit=0", "limit=1001", "usage_days=91", "after=not%20an-id!", "colour=red", "kind=robot", "limit=2 limit=3"] {
            assertFails(callOut { ta_token_page(s, nil, bad, nil, $0) }.status, TA_INVALID_ARGUMENT, bad)
        }
        let long = String(repeating: "n", count: 201)
        assertFails(callOut { ta_token_page(s, nil, nil, long, $0) }.status, TA_INVALID_ARGUMENT, "name over 200 bytes")
        assertFails(callOut { ta_token_page(nil, nil, nil, nil, $0) }.status, TA_INVALID_ARGUMENT, "NULL store")
        assertFails(ta_token_page(s, nil, nil, nil, nil), TA_INVALID_ARGUMENT, "NULL out_json")
    }

    func testVisibilityFollowsIAM() throws {
        let s = try seededStore()
        let a = try create(s, actor: Members.alice, scopes: "tickets:read")
        let b = try create(s, actor: Members.bob, scopes: "tickets:read")
        let sv = try service(s, scopes: "tickets:read")
        XCTAssertEqual(try walk(s, actor: Members.alice, limit: 2).ids, [a.id])
        XCTAssertEqual(try walk(s, actor: Members.alice, "owner=bob", limit: 2).ids, [])
        XCTAssertEqual(try walk(s, actor: Members.alice, "kind=service", limit: 2).ids, [])
        XCTAssertEqual(try walk(s, actor: Members.svc, limit: 2).ids, [sv.id])
        XCTAssertEqual(Set(try walk(s, actor: Members.auditor, limit: 2).ids), [a.id, b.id, sv.id])
        XCTAssertEqual(try walk(s, actor: Members.carol, limit: 2).ids, [])
        setMemberActive(s, Members.bob, false)
        assertFails(callOut { ta_token_page(s, Members.bob, nil, nil, $0) }.status, TA_PERMISSION_DENIED)
    }

    func testActionsFollowIAMAndState() throws {
        let s = try seededStore()
        let a = try create(s, actor: Members.alice, scopes: "tickets:read")
        let sv = try service(s, scopes: "tickets:write")
        XCTAssertEqual(try actions(s, actor: Members.alice, a.id), ["rename", "deactivate", "revoke", "rotate", "delete"])
        XCTAssertEqual(try actions(s, actor: Members.admin, a.id), ["rename", "deactivate", "revoke", "delete"],
                       "an admin manages another member's personal token but never rotates it")
        XCTAssertEqual(try actions(s, actor: nil, a.id), ["rename", "deactivate", "revoke", "delete"], "nor does the host")
        XCTAssertEqual(try actions(s, actor: Members.auditor, a.id), [], "sees it, manages nothing")
        assertFails(callOut { ta_token_actions(s, Members.bob, a.id, $0) }.status, TA_NOT_FOUND, "invisible")
        XCTAssertEqual(try actions(s, actor: Members.svc, sv.id), ["rename", "deactivate", "revoke", "rotate", "delete"])
        putMember(s, "ops", "ManageServiceAccessTokens tickets:read")
        XCTAssertEqual(try actions(s, actor: "ops", sv.id), ["rename", "deactivate", "revoke", "delete"],
                       "rotating needs every scope of the token")

        assertStatus(ta_token_set_active(s, Members.alice, a.id, false), TA_OK)
        XCTAssertEqual(try actions(s, actor: Members.alice, a.id), ["rename", "activate", "revoke", "rotate", "delete"])
        _ = try rotate(s, actor: Members.alice, a.id, grace: HOUR)
        XCTAssertEqual(try actions(s, actor: Members.alice, a.id), ["rename", "activate", "revoke", "delete"], "rotated once")
        assertStatus(ta_token_revoke(s, Members.alice, a.id), TA_OK)
        XCTAssertEqual(try actions(s, actor: Members.alice, a.id), ["rename", "delete"])
    }

    func testRecentUsesAreDailyCountsOldestFirst() throws {
        let s = try seededStore()
        let t = try service(s, scopes: "tickets:read")
        ta_set_clock(s, T0 - DAY)
        for _ in 0..<2 { assertStatus(verify(s, t.secret).status, TA_OK) }
        ta_set_clock(s, T0)
        assertStatus(verify(s, t.secret).status, TA_OK)
        let p = try page(s, "usage_days=3")
        XCTAssertEqual((tokens(p).first?["recent_uses"] as? [Any])?.compactMap(int64), [0, 2, 1])
        XCTAssertNil(tokens(try page(s)).first?["recent_uses"], "only when asked for")
    }

    func testOneCallExaminesAtMost20000Tokens() throws {
        let s = try seededStore()
        let name = "bulk"
        for _ in 0..<21 {
            let status = withCArgs([.str(name), "tickets:read"]) { p -> ta_status in
                let specs = [ta_token_spec](repeating: ta_token_spec(name: p[0], kind: TA_KIND_SERVICE, scopes: p[1],
                                                                   expires_at_ms: 0, rate_limit: 0, rate_window_ms: 0),
                                            count: 1000)
                return ta_token_create_batch(s, nil, specs, specs.count, nil, nil)
            }
            assertStatus(status, TA_OK)
        }
        let first = try page(s, name: "no such name")
        XCTAssertEqual(tokens(first).count, 0)
        XCTAssertEqual(int64(first["scanned"]), 20_000)
        let next = try XCTUnwrap(first["next"] as? String, "a cursor to go on from")
        let rest = try page(s, "after=\(next)", name: "no such name")
        XCTAssertEqual(int64(rest["scanned"]), 1_000)
        XCTAssertTrue(isNull(rest, "next"), "every token examined")
    }

    func testActorRights() throws {
        let s = try seededStore()
        let alice = try rights(s, actor: Members.alice)
        XCTAssertEqual(alice["actor"] as? String, Members.alice)
        XCTAssertEqual(strings(alice["create"]), ["personal"])
        XCTAssertEqual((alice["grantable_scopes"] as? [[String: Any]])?.compactMap { $0["scope"] as? String },
                       ["assets:read", "tickets:read", "tickets:write"])
        XCTAssertEqual(bool(alice["audit"]), false)
        XCTAssertEqual(bool(alice["all_members"]), false)
        let admin = try rights(s, actor: Members.admin)
        XCTAssertEqual(strings(admin["create"]), ["personal", "service"])
        XCTAssertEqual(bool(admin["audit"]), true)
        XCTAssertEqual((admin["grantable_scopes"] as? [[String: Any]])?.count, try scopeList(s).count)
        let host = try rights(s, actor: nil)
        XCTAssertEqual(host["actor"] as? String, "system")
        XCTAssertEqual(strings(host["create"]), ["service"], "the host cannot own a personal token")
        XCTAssertEqual(strings(try rights(s, actor: Members.carol)["create"]), [])
        XCTAssertEqual(strings(try rights(s, actor: Members.svc)["create"]), ["service"])
        setMemberActive(s, Members.carol, false)
        assertFails(callOut { ta_actor_rights(s, Members.carol, $0) }.status, TA_PERMISSION_DENIED)
        assertFails(callOut { ta_actor_rights(s, "nobody", $0) }.status, TA_PERMISSION_DENIED)
        assertFails(callOut { ta_actor_rights(s, "bad id!", $0) }.status, TA_INVALID_ARGUMENT)
    }

    func testMemberListFor() throws {
        let s = try seededStore()
        let all = try json { ta_member_list_for(s, Members.admin, $0) } as? [[String: Any]]
        XCTAssertEqual(all?.count, Members.table.count)
        let host = try json { ta_member_list_for(s, nil, $0) } as? [[String: Any]]
        XCTAssertEqual(host?.count, Members.table.count)
        let own = try json { ta_member_list_for(s, Members.auditor, $0) } as? [[String: Any]]
        XCTAssertEqual(own?.compactMap { $0["id"] as? String }, [Members.auditor])
        XCTAssertEqual(strings(own?.first?["permissions"]), ["ListAccessTokens", "tickets:read"])
        assertFails(callOut { ta_member_list_for(s, "nobody", $0) }.status, TA_PERMISSION_DENIED)
    }
}
