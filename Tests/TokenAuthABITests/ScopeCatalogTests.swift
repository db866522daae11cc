// The scope catalog: defaults, ta_scope_define (implications, cycles, syntax, descriptions),
// ta_scope_list, and that a catalog change never widens an existing token.

import CTokenAuth
import Foundation
import XCTest

final class ScopeCatalogTests: ABITestCase {
    private func entry(_ list: [[String: Any]], _ scope: String) -> [String: Any]? {
        list.first { $0["scope"] as? String == scope }
    }

    func testDefaultCatalog() throws {
        let s = try openStore()
        let list = try scopeList(s)
        XCTAssertEqual(list.compactMap { $0["scope"] as? String },
                       ["admin", "assets:read", "assets:write", "tickets:read", "tickets:write", "users:read", "users:write"])
        XCTAssertEqual(strings(entry(list, "tickets:write")?["implies"]), ["tickets:read"])
        XCTAssertEqual(strings(entry(list, "assets:write")?["implies"]), ["assets:read"])
        XCTAssertEqual(strings(entry(list, "users:write")?["implies"]), ["users:read"])
        XCTAssertEqual(strings(entry(list, "tickets:read")?["implies"]), [])
        for e in list {
            XCTAssertNotNil(e["implies"] as? [Any], "implies is an array: \(e)")
            XCTAssertNotNil(e["description"], "description key (or null) missing: \(e)")
        }
    }

    func testDefineAndList() throws {
        let s = try openStore()
        assertStatus(ta_scope_define(s, "reports:read", nil, "Read reports"), TA_OK)
        XCTAssertEqual(lastError(), "")
        assertStatus(ta_scope_define(s, "reports:write", "reports:read tickets:read", nil), TA_OK)
        let list = try scopeList(s)
        XCTAssertEqual(entry(list, "reports:read")?["description"] as? String, "Read reports")
        XCTAssertEqual(strings(entry(list, "reports:write")?["implies"]), ["reports:read", "tickets:read"])
        XCTAssertTrue(entry(list, "reports:write").map { isNull($0, "description") } ?? false,
                      "a new scope defined with a NULL description has null")
        let names = list.compactMap { $0["scope"] as? String }
        XCTAssertEqual(names, sortedBytewise(names))
    }

    func testSortedByBytes() throws {
        let s = try openStore()
        for name in ["zz", "a-b", "a.b", "a:b", "a0", "a_b", "9", "a"] {
            assertStatus(ta_scope_define(s, name, nil, nil), TA_OK, name)
        }
        let names = try scopeList(s).compactMap { $0["scope"] as? String }
        XCTAssertEqual(names, sortedBytewise(names))
        XCTAssertEqual(names.first, "9")
    }

    func testDescriptionNullKeepsEmptyClears() throws {
        let s = try openStore()
        assertStatus(ta_scope_define(s, "reports:read", nil, "Read reports"), TA_OK)
        assertStatus(ta_scope_define(s, "reports:read", nil, nil), TA_OK)
        XCTAssertEqual(entry(try scopeList(s), "reports:read")?["description"] as? String, "Read reports", "NULL keeps")
        assertStatus(ta_scope_define(s, "reports:read", nil, "Other"), TA_OK)
        XCTAssertEqual(entry(try scopeList(s), "reports:read")?["description"] as? String, "Other")
        assertStatus(ta_scope_define(s, "reports:read", nil, ""), TA_OK)
        let d = entry(try scopeList(s), "reports:read")?["description"]
        XCTAssertTrue(d is NSNull || (d as? String) == "", "\"\" clears the description, got \(String(describing: d))")
        // A description with JSON-special characters survives.
        let tricky = "Quote \" backslash \\ newline \n tab \t unicode ✓"
        assertStatus(ta_scope_define(s, "reports:read", nil, tricky), TA_OK)
        XCTAssertEqual(entry(try scopeList(s), "reports:read")?["description"] as? String, tricky)
    }

    func testRedefiningReplacesImplications() throws {
        let s = try openStore()
        assertStatus(ta_scope_define(s, "reports:read", nil, nil), TA_OK)
        assertStatus(ta_scope_define(s, "reports:write", "reports:read", nil), TA_OK)
        assertStatus(ta_scope_define(s, "reports:write", nil, nil), TA_OK)
        XCTAssertEqual(strings(entry(try scopeList(s), "reports:write")?["implies"]), [], "replaced, not merged")
    }

    func testImpliesMustExist() throws {
        let s = try openStore()
        let before = snapshot(s)
        assertFails(ta_scope_define(s, "reports:write", "reports:read", nil), TA_UNKNOWN_SCOPE)
        assertFails(ta_scope_define(s, "reports:write", "tickets:read widgets:read", nil), TA_UNKNOWN_SCOPE)
        XCTAssertEqual(snapshot(s), before, "a refused define wrote something")
        XCTAssertNil(entry(try scopeList(s), "reports:write"))
    }

    func testCyclesAreInvalid() throws {
        let s = try openStore()
        // A scope that does not exist yet cannot imply itself: "x" is unknown at that point.
        assertFails(ta_scope_define(s, "x", "x", nil), TA_UNKNOWN_SCOPE, "implies a scope not yet in the catalog")
        assertStatus(ta_scope_define(s, "x", nil, nil), TA_OK)
        assertFails(ta_scope_define(s, "x", "x", nil), TA_INVALID_ARGUMENT, "self-cycle")
        assertStatus(ta_scope_define(s, "a", nil, nil), TA_OK)
        assertStatus(ta_scope_define(s, "b", "a", nil), TA_OK)
        assertStatus(ta_scope_define(s, "c", "b", nil), TA_OK)
        let before = snapshot(s)
        assertFails(ta_scope_define(s, "a", "b", nil), TA_INVALID_ARGUMENT, "a → b → a")
        assertFails(ta_scope_define(s, "a", "c", nil), TA_INVALID_ARGUMENT, "a → c → b → a")
        assertFails(ta_scope_define(s, "b", "c", nil), TA_INVALID_ARGUMENT, "b → c → b")
        XCTAssertEqual(snapshot(s), before)
        // Admin's coverage of every scope is not an edge.
        assertStatus(ta_scope_define(s, "d", "admin", nil), TA_OK)
        // A diamond is not a cycle.
        assertStatus(ta_scope_define(s, "e", "b c", nil), TA_OK)
    }

    func testBadSyntax() throws {
        let s = try openStore()
        let before = snapshot(s)
        for bad: CArg in [nil, "", "Reports", "rep orts", "reports!", "reports/x", "réports", "reports\t",
                          .str(String(repeating: "a", count: 64)), .bytes(invalidUTF8), .str(oneMiB),
                          "ListAccessTokens"] {
            withCArgs([bad]) { p in
                assertFails(ta_scope_define(s, p[0], nil, nil), TA_INVALID_ARGUMENT, "scope \(bad)")
            }
        }
        assertStatus(ta_scope_define(s, String(repeating: "a", count: 63), nil, nil), TA_OK, "63 bytes is allowed")
        let after63 = snapshot(s)
        for bad: CArg in ["Tickets:read", "tickets:read,", .bytes(invalidUTF8), .str(oneMiB), "tickets:read\ttickets:write"] {
            withCArgs([bad]) { p in
                assertFails(ta_scope_define(s, "ok", p[0], nil), TA_INVALID_ARGUMENT, "implies \(bad)")
            }
        }
        withCArgs([.bytes(invalidUTF8)]) { p in
            assertFails(ta_scope_define(s, "ok", nil, p[0]), TA_INVALID_ARGUMENT, "description invalid UTF-8")
        }
        assertFails(ta_scope_define(nil, "ok", nil, nil), TA_INVALID_ARGUMENT)
        XCTAssertEqual(snapshot(s), after63)
        XCTAssertNotEqual(before, after63)
    }

    func testScopeDefinedIsAudited() throws {
        let s = try openStore()
        assertStatus(ta_scope_define(s, "reports:read", nil, "Read"), TA_OK)
        assertStatus(ta_scope_define(s, "reports:write", "reports:read", nil), TA_OK)
        let e = events(s, "event=scope.defined")
        XCTAssertEqual(e.count, 2)
        XCTAssertEqual(e.first?["actor"] as? String, "system")
        XCTAssertEqual(detail(e.first ?? [:])["scope"] as? String, "reports:write")
        XCTAssertTrue(e.allSatisfy { isNull($0, "token_id") && isNull($0, "member_id") })
    }

    /// "A later change to the catalog never widens an existing token."
    func testCatalogChangeNeverWidensAnExistingToken() throws {
        let s = try openStore()
        assertStatus(ta_scope_define(s, "reports:read", nil, nil), TA_OK)
        assertStatus(ta_scope_define(s, "reports:write", nil, nil), TA_OK)
        putMember(s, "dana", "reports:write reports:read ManagePersonalAccessTokens")
        let personal = try create(s, actor: "dana", scopes: "reports:write")
        let svc = try service(s, actor: nil, scopes: "reports:write")
        assertVerdict(verify(s, personal.secret, "reports:read"), TA_FORBIDDEN)
        assertVerdict(verify(s, svc.secret, "reports:read"), TA_FORBIDDEN)

        assertStatus(ta_scope_define(s, "reports:write", "reports:read", nil), TA_OK)
        let vp = verify(s, personal.secret, "reports:read")
        assertVerdict(vp, TA_FORBIDDEN, "an existing personal token gained a newly implied scope")
        XCTAssertEqual(vp.missingScope, "reports:read")
        assertVerdict(verify(s, svc.secret, "reports:read"), TA_FORBIDDEN, "an existing service token gained a newly implied scope")
        XCTAssertEqual(strings(try tokenGet(s, svc.id)["effective_scopes"]), ["reports:write"])

        // New tokens get the expansion.
        let personal2 = try create(s, actor: "dana", scopes: "reports:write")
        let svc2 = try service(s, actor: nil, scopes: "reports:write")
        assertVerdict(verify(s, personal2.secret, "reports:read"), TA_OK)
        assertVerdict(verify(s, svc2.secret, "reports:read"), TA_OK)
        XCTAssertEqual(strings(try tokenGet(s, svc2.id)["effective_scopes"]), ["reports:read", "reports:write"])
    }

    /// The stored expansion is what verification uses; members are expanded with the catalog now.
    func testNarrowingTheCatalog() throws {
        let s = try openStore()
        assertStatus(ta_scope_define(s, "reports:read", nil, nil), TA_OK)
        assertStatus(ta_scope_define(s, "reports:write", "reports:read", nil), TA_OK)
        putMember(s, "dana", "reports:write ManagePersonalAccessTokens")
        let personal = try create(s, actor: "dana", scopes: "reports:write")
        let svc = try service(s, actor: nil, scopes: "reports:write")
        assertVerdict(verify(s, personal.secret, "reports:read"), TA_OK)
        assertVerdict(verify(s, svc.secret, "reports:read"), TA_OK)
        assertStatus(ta_scope_define(s, "reports:write", nil, nil), TA_OK)
        assertVerdict(verify(s, svc.secret, "reports:read"), TA_OK, "a service token keeps its stored expansion")
        assertVerdict(verify(s, personal.secret, "reports:read"), TA_FORBIDDEN,
                      "the owner no longer holds reports:read through the catalog as it is now")
    }

    func testAdminCoversScopesDefinedLater() throws {
        let s = try openStore()
        let t = try service(s, actor: nil, scopes: "admin")
        assertStatus(ta_scope_define(s, "billing:read", nil, nil), TA_OK)
        assertVerdict(verify(s, t.secret, "billing:read"), TA_OK)
        XCTAssertTrue(strings(try tokenGet(s, t.id)["effective_scopes"])?.contains("billing:read") ?? false)
        let v = verify(s, t.secret, "billing:write")
        assertVerdict(v, TA_FORBIDDEN, "a scope not in the catalog is never in force, not even through admin")
        XCTAssertEqual(v.missingScope, "billing:write")
    }

    func testScopeListBadArguments() throws {
        let s = try openStore()
        assertFails(callOut { ta_scope_list(nil, $0) }.status, TA_INVALID_ARGUMENT)
        assertFails(ta_scope_list(s, nil), TA_INVALID_ARGUMENT)
    }
}
