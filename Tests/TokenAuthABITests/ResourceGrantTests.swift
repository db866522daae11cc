// Grants qualified with a resource pattern (`tickets:read@project/42`): verification against a
// resource, least privilege at creation, batch creation and rotation, personal tokens narrowed and
// widened with their owner, implications, bad input, and grants as written in every listing.

import CTokenAuth
import XCTest

final class ResourceGrantTests: ABITestCase {
    func testAQualifiedGrantCoversItsPatternAndDeeperNamesOnly() throws {
        let s = try seededStore()
        let t = try service(s, actor: nil, scopes: "tickets:read@project/42 assets:read@site/*/rack/7")
        assertVerdict(verifyOn(s, t.secret, "tickets:read", resource: "project/42"), TA_OK)
        assertVerdict(verifyOn(s, t.secret, "tickets:read", resource: "project/42/tickets/7"), TA_OK, "deeper")
        assertVerdict(verifyOn(s, t.secret, "assets:read", resource: "site/paris/rack/7/unit/2"), TA_OK, "* is any one segment")
        for (scope, resource) in [("tickets:read", "project/43"), ("tickets:read", "project"), ("tickets:read", "Project/42"),
                                  ("tickets:read", "project/420"), ("assets:read", "site/paris/rack/8"),
                                  ("tickets:write", "project/42")] {
            let v = verifyOn(s, t.secret, scope, resource: resource)
            assertVerdict(v, TA_FORBIDDEN, "\(scope) on \(resource)")
            XCTAssertEqual(v.missingScope, scope)
            XCTAssertTrue(lastError().contains("on resource \(resource)"), lastError())
        }
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_FORBIDDEN, "no resource: only grants on every resource count")
        assertVerdict(verifyOn(s, t.secret, "tickets:read", resource: ""), TA_FORBIDDEN, "an empty resource is none")
        assertVerdict(verifyOn(s, t.secret, "tickets:read", resource: nil), TA_FORBIDDEN)
        assertVerdict(verify(s, t.secret), TA_OK, "no scope required: the token is valid")
        let plain = try service(s, actor: nil, scopes: "tickets:read")
        assertVerdict(verifyOn(s, plain.secret, "tickets:read", resource: "anything/at/all"), TA_OK, "unqualified: every resource")
    }

    func testTheLengthTakingFormReadsOnlyItsBytes() throws {
        let s = try seededStore()
        let t = try service(s, actor: nil, scopes: "tickets:read@project/42")
        let bytes = Array(("Bearer " + t.secret + "garbage").utf8)
        var v = garbageVerdict()
        let st = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                ta_verify_resource_n(s, $0.baseAddress, bytes.count - 7, "tickets:read", "project/42/x", &v)
            }
        }
        checkVerdict(st, v, file: #filePath, line: #line)
        assertVerdict(v, TA_OK)
    }

    func testIllFormedResourcesAndPatternsAreInvalidArguments() throws {
        let s = try seededStore()
        let t = try service(s, actor: nil, scopes: "tickets:read@project/42")
        for bad in ["project/*", "/project", "project//42", "project/", "a b", "pro ject", "project/é",
                    String(repeating: "a/", count: 512) + "a", String(repeating: "x", count: 65)] {
            let v = verifyOn(s, t.secret, "tickets:read", resource: bad)
            assertVerdict(v, TA_INVALID_ARGUMENT, bad)
            XCTAssertTrue(lastError().contains("resource"), lastError())
        }
        assertStatus(ta_flush(s), TA_OK)
        XCTAssertEqual(int64(try stats(s, t.id)["use_count"]), 0, "an invalid argument counts nowhere")
        XCTAssertEqual(int64(try stats(s, t.id)["denied_count"]), 0)
        for bad in ["tickets:read@", "tickets:read@project//1", "tickets:read@project/*x", "tickets:read@a@b",
                    "tickets:read@" + String(repeating: "p/", count: 100) + "p"] {
            assertFails(createRaw(s, actor: nil, kind: TA_KIND_SERVICE, scopes: .str(bad)).status, TA_INVALID_ARGUMENT, bad)
        }
        assertFails(createRaw(s, actor: nil, kind: TA_KIND_SERVICE, scopes: "nope:read@project/1").status, TA_UNKNOWN_SCOPE)
        assertFails(ta_member_put(s, "dora", "tickets:read@project/"), TA_INVALID_ARGUMENT)
        assertFails(ta_member_put(s, "dora", "ManageServiceAccessTokens@project/1"), TA_INVALID_ARGUMENT)
        assertFails(ta_member_put(s, "dora", "nope:read@project/1"), TA_UNKNOWN_SCOPE)
    }

    /// ta_check_verify_input refuses exactly what every verification would refuse as an invalid
    /// argument, without a store, and names which input is at fault.
    func testTheInputCheckAnswersAsAVerificationWould() throws {
        let s = try seededStore()
        let t = try service(s, actor: nil, scopes: "tickets:read@project/42")
        let resources: [String?] = [nil, "", "project/42", "project/42/tickets/7", "a.b:c-d_e", "project/*", "/project",
                                    "project//42", "a b", "project/é", String(repeating: "x", count: 65),
                                    String(repeating: "a/", count: 512) + "a"]
        for scopes in [nil, "", "tickets:read", "tickets:read  assets:write", "Tickets:Read", "tickets:read@project/42"] as [String?] {
            for resource in resources {
                let verdict = verifyOn(s, t.secret, scopes, resource: resource)
                let checked = ta_check_verify_input(scopes, resource)
                XCTAssertEqual(checked == TA_INVALID_ARGUMENT, verdict.status == TA_INVALID_ARGUMENT,
                               "\(scopes ?? "NULL") on \(resource ?? "NULL"): check \(checked), verify \(verdict.status)")
                XCTAssertTrue(checked == TA_OK || checked == TA_INVALID_ARGUMENT)
                if checked == TA_OK { XCTAssertEqual(lastError(), "") }
            }
        }
        assertStatus(ta_check_verify_input("Tickets:Read", "project/42"), TA_INVALID_ARGUMENT)
        XCTAssertTrue(lastError().contains("required_scopes"), lastError())
        assertStatus(ta_check_verify_input("tickets:read", "project/*"), TA_INVALID_ARGUMENT)
        XCTAssertTrue(lastError().contains("resource"), lastError())
    }

    /// Least privilege per grant: every branch of the containment rule, with implications.
    func testCreationNeedsEachGrantCoveredByOneTheActorHolds() throws {
        let s = try seededStore()
        putMember(s, "pm", "tickets:write@project/42 tickets:read@team/*/board admin@lab/1 ManageServiceAccessTokens")
        let allowed = ["tickets:read@project/42", "tickets:write@project/42/tickets/7", "tickets:read@project/42/*",
                       "tickets:read@team/7/board", "tickets:read@team/*/board/x", "users:write@lab/1/bench",
                       "admin@lab/1", "tickets:read@team/*/board"]
        for grant in allowed {
            assertStatus(createRaw(s, actor: "pm", kind: TA_KIND_SERVICE, scopes: .str(grant)).status, TA_OK, grant)
        }
        let refused = ["tickets:read", "tickets:read@project/43", "tickets:read@project", "tickets:read@project/*",
                       "tickets:read@team/*", "tickets:read@*/42", "users:write@lab/2", "admin@lab", "assets:read@project/42"]
        for grant in refused {
            assertFails(createRaw(s, actor: "pm", kind: TA_KIND_SERVICE, scopes: .str(grant)).status, TA_PERMISSION_DENIED, grant)
        }
        // Unqualified covers everything; the host may grant anything.
        assertStatus(createRaw(s, actor: .str(Members.svc), kind: TA_KIND_SERVICE, scopes: "tickets:read@anything/*/x").status, TA_OK)
        assertStatus(createRaw(s, actor: nil, kind: TA_KIND_SERVICE, scopes: "users:write@a/*").status, TA_OK)
    }

    func testImplicationsCarryTheQualifier() throws {
        let s = try seededStore()
        let t = try service(s, actor: nil, scopes: "tickets:write@project/42 admin@lab/1")
        assertVerdict(verifyOn(s, t.secret, "tickets:read", resource: "project/42/t/1"), TA_OK, "write implies read, on project/42")
        assertVerdict(verifyOn(s, t.secret, "tickets:read", resource: "project/41"), TA_FORBIDDEN)
        assertVerdict(verifyOn(s, t.secret, "users:write assets:read tickets:read", resource: "lab/1/x"), TA_OK, "admin@lab/1")
        assertVerdict(verifyOn(s, t.secret, "users:write", resource: "lab/2"), TA_FORBIDDEN, "and nothing elsewhere")
        assertStatus(ta_scope_define(s, "reports:read", nil, nil), TA_OK)
        assertVerdict(verifyOn(s, t.secret, "reports:read", resource: "lab/1"), TA_OK, "admin@P covers scopes defined later, on P")
    }

    /// A personal token's grant is in force on a resource only while its owner holds that scope there.
    func testPersonalTokensNarrowAndWidenWithTheirOwner() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.bob, scopes: "tickets:read")
        assertVerdict(verifyOn(s, t.secret, "tickets:read", resource: "project/43"), TA_OK)
        putMember(s, Members.bob, "tickets:read@project/42 users:read ManagePersonalAccessTokens")
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_FORBIDDEN, "the owner no longer holds it on every resource")
        assertVerdict(verifyOn(s, t.secret, "tickets:read", resource: "project/42/t/1"), TA_OK, "narrowed to project 42 at once")
        assertVerdict(verifyOn(s, t.secret, "tickets:read", resource: "project/43"), TA_FORBIDDEN)
        XCTAssertEqual(strings(try tokenGet(s, t.id)["effective_scopes"]), ["tickets:read@project/42"])
        putMember(s, Members.bob, "tickets:read users:read ManagePersonalAccessTokens")
        assertVerdict(verifyOn(s, t.secret, "tickets:read", resource: "project/43"), TA_OK, "widened again")
        assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK)
        // A qualified personal token is bounded by both: its pattern and its owner's.
        let q = try create(s, actor: Members.bob, scopes: "tickets:read@project/*")
        putMember(s, Members.bob, "tickets:read@project/42 ManagePersonalAccessTokens")
        assertVerdict(verifyOn(s, q.secret, "tickets:read", resource: "project/42"), TA_OK)
        assertVerdict(verifyOn(s, q.secret, "tickets:read", resource: "project/43"), TA_FORBIDDEN, "the owner's narrower grant")
    }

    func testBatchCreationAndRotationCarryTheGrants() throws {
        let s = try seededStore()
        putMember(s, "pm", "tickets:write@project/42 ManageServiceAccessTokens")
        let specs = ["tickets:read@project/42/a", "tickets:write@project/42"]
        var secrets = [UnsafeMutablePointer<CChar>?](repeating: nil, count: 2)
        var ids = [UnsafeMutablePointer<CChar>?](repeating: nil, count: 2)
        let st = withCArgs([.str("b0"), .str(specs[0]), .str("b1"), .str(specs[1])]) { p in
            var batch = [ta_token_spec(name: p[0], kind: TA_KIND_SERVICE, scopes: p[1], expires_at_ms: 0, rate_limit: 0, rate_window_ms: 0),
                         ta_token_spec(name: p[2], kind: TA_KIND_SERVICE, scopes: p[3], expires_at_ms: 0, rate_limit: 0, rate_window_ms: 0)]
            return ta_token_create_batch(s, "pm", &batch, 2, &secrets, &ids)
        }
        assertStatus(st, TA_OK)
        let first = try NewToken(secret: String(cString: XCTUnwrap(secrets[0])), id: String(cString: XCTUnwrap(ids[0])))
        for pointer in secrets + ids { ta_free(pointer) }
        assertVerdict(verifyOn(s, first.secret, "tickets:read", resource: "project/42/a/1"), TA_OK)
        XCTAssertEqual(strings(try tokenGet(s, first.id)["scopes"]), ["tickets:read@project/42/a"], "as written")
        let refused = withCArgs([.str("ok"), .str("tickets:read@project/42"), .str("no"), .str("tickets:read@project/*")]) { p in
            var batch = [ta_token_spec(name: p[0], kind: TA_KIND_SERVICE, scopes: p[1], expires_at_ms: 0, rate_limit: 0, rate_window_ms: 0),
                         ta_token_spec(name: p[2], kind: TA_KIND_SERVICE, scopes: p[3], expires_at_ms: 0, rate_limit: 0, rate_window_ms: 0)]
            return ta_token_create_batch(s, "pm", &batch, 2, nil, nil)
        }
        assertFails(refused, TA_PERMISSION_DENIED)
        XCTAssertTrue(lastError().hasPrefix("specs[1]"), lastError())

        let next = try rotate(s, actor: "pm", first.id)
        XCTAssertEqual(strings(try tokenGet(s, next.id)["scopes"]), ["tickets:read@project/42/a"])
        assertVerdict(verifyOn(s, next.secret, "tickets:read", resource: "project/42/a"), TA_OK)
        putMember(s, "pm", "tickets:write@project/43 ManageServiceAccessTokens")
        assertFails(rotateRaw(s, actor: "pm", .str(next.id)).status, TA_PERMISSION_DENIED, "rotation needs every grant covered")
    }

    func testListingsStatisticsReportAndAuditShowGrantsAsWritten() throws {
        let s = try seededStore()
        let t = try service(s, actor: nil, scopes: "tickets:write@project/42 users:read")
        assertVerdict(verifyOn(s, t.secret, "tickets:read", resource: "project/42/t/9"), TA_OK)
        assertVerdict(verify(s, t.secret, "users:read"), TA_OK)
        assertStatus(ta_flush(s), TA_OK)
        let token = try tokenGet(s, t.id)
        XCTAssertEqual(strings(token["scopes"]), ["tickets:write@project/42", "users:read"])
        XCTAssertEqual(strings(token["effective_scopes"]), ["users:read", "tickets:read@project/42", "tickets:write@project/42"])
        XCTAssertEqual(strings(try stats(s, t.id)["scopes_used"]), ["tickets:read@project/42", "users:read"])
        let entry = try XCTUnwrap((try report(s)["tokens"] as? [[String: Any]])?.first { $0["token_id"] as? String == t.id })
        XCTAssertEqual(strings(entry["unused_scopes"]), ["tickets:write@project/42"])
        XCTAssertTrue((strings(entry["recommendations"]) ?? []).joined().contains("tickets:read@project/42"))
        let created = events(s, "event=token.created token=\(t.id)")
        XCTAssertEqual(strings(detail(created.first ?? [:])["scopes"]), ["tickets:write@project/42", "users:read"])
    }
}
