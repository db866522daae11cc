// ta_token_list / ta_token_get: fields, order, filters, status values, effective scopes.

import CTokenAuth
import Foundation
import XCTest

final class ListingTests: ABITestCase {
    static let requiredFields = [
        "id", "name", "kind", "owner", "created_by", "scopes", "effective_scopes", "status", "created_at",
        "expires_at", "last_used_at", "use_count", "hint", "rate_limit", "rotated_from", "rotated_to",
    ]

    func testEveryDocumentedFieldAndNoSecret() throws {
        let s = try seededStore()
        let p = try create(s, actor: Members.alice, name: "mine", scopes: "tickets:write", expires: T0 + DAY, rate: 3, window: 1000)
        let sv = try service(s, name: "svc", scopes: "assets:read")
        for t in [p, sv] {
            let j = try tokenGet(s, t.id)
            for f in Self.requiredFields { XCTAssertNotNil(j[f], "field \(f) missing: \(j)") }
            for bad in ["hash", "secret", "token", "token_hash", "secret_hash"] {
                XCTAssertNil(j[bad], "field \(bad) must not appear")
            }
        }
        let j = try tokenGet(s, actor: Members.alice, p.id)
        XCTAssertEqual(j["id"] as? String, p.id)
        XCTAssertEqual(j["name"] as? String, "mine")
        XCTAssertEqual(j["kind"] as? String, "personal")
        XCTAssertEqual(j["owner"] as? String, Members.alice)
        XCTAssertEqual(j["created_by"] as? String, Members.alice)
        XCTAssertEqual(strings(j["scopes"]), ["tickets:write"])
        XCTAssertEqual(strings(j["effective_scopes"]), ["tickets:read", "tickets:write"])
        XCTAssertEqual(j["status"] as? String, "active")
        XCTAssertEqual(int64(j["created_at"]), T0)
        XCTAssertEqual(int64(j["expires_at"]), T0 + DAY)
        XCTAssertTrue(isNull(j, "last_used_at"))
        XCTAssertEqual(int64(j["use_count"]), 0)
        XCTAssertEqual(j["hint"] as? String, String(p.secret.prefix(9)))
        let rl = j["rate_limit"] as? [String: Any]
        XCTAssertEqual(int64(rl?["limit"]), 3)
        XCTAssertEqual(int64(rl?["window_ms"]), 1000)
        XCTAssertTrue(isNull(j, "rotated_from"))
        XCTAssertTrue(isNull(j, "rotated_to"))

        let k = try tokenGet(s, sv.id)
        XCTAssertEqual(k["kind"] as? String, "service")
        XCTAssertTrue(isNull(k, "owner"))
        XCTAssertEqual(k["created_by"] as? String, Members.svc)
        XCTAssertTrue(isNull(k, "expires_at"))
        XCTAssertTrue(isNull(k, "rate_limit"))

        // get returns the same object as the list entry.
        let listed = try tokenList(s).first { $0["id"] as? String == p.id }
        XCTAssertEqual(listed.map { NSDictionary(dictionary: $0) }, NSDictionary(dictionary: j))
        // No long hex or base64 runs (a hash) anywhere in the listing.
        let raw = callOut { ta_token_list(s, nil, nil, $0) }.text ?? ""
        XCTAssertNil(raw.range(of: "[0-9a-fA-F]{32,}", options: .regularExpression), "a hash-like value in \(raw)")
        XCTAssertNil(raw.range(of: "[A-Za-z0-9+/=_-]{40,}", options: .regularExpression), "a long opaque value in \(raw)")
    }

    func testScopesAreDeduplicatedAndSorted() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:write assets:read tickets:write tickets:read")
        let j = try tokenGet(s, t.id)
        XCTAssertEqual(strings(j["scopes"]), ["assets:read", "tickets:read", "tickets:write"])
        XCTAssertEqual(strings(j["effective_scopes"]), ["assets:read", "tickets:read", "tickets:write"])
    }

    func testOrderCreatedAtDescendingThenNewestFirst() throws {
        let s = try seededStore()
        let t1 = try service(s, name: "t1", scopes: "tickets:read")
        let t2 = try service(s, name: "t2", scopes: "tickets:read")
        ta_set_clock(s, T0 + 10)
        let t3 = try service(s, name: "t3", scopes: "tickets:read")
        ta_set_clock(s, T0 - 100)
        let t4 = try service(s, name: "t4", scopes: "tickets:read")
        ta_set_clock(s, T0 + 10)
        let t5 = try service(s, name: "t5", scopes: "tickets:read")
        XCTAssertEqual(ids(try tokenList(s)), [t5.id, t3.id, t2.id, t1.id, t4.id])
        XCTAssertEqual(ids(try tokenList(s, actor: Members.svc, "kind=service")), [t5.id, t3.id, t2.id, t1.id, t4.id])
    }

    func testFiltersAndStatusValues() throws {
        let s = try seededStore()
        let active = try create(s, actor: Members.alice, scopes: "tickets:read")
        let inactive = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_token_set_active(s, Members.alice, inactive.id, false), TA_OK)
        let revoked = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_token_revoke(s, Members.alice, revoked.id), TA_OK)
        let expired = try create(s, actor: Members.alice, scopes: "tickets:read", expires: T0 + HOUR)
        let ownerInactive = try create(s, actor: Members.bob, scopes: "tickets:read")
        setMemberActive(s, Members.bob, false)
        let sv = try service(s, scopes: "tickets:read")
        ta_set_clock(s, T0 + 2 * HOUR)

        let all = try tokenList(s)
        func status(_ id: String) -> String? { all.first { $0["id"] as? String == id }?["status"] as? String }
        XCTAssertEqual(status(active.id), "active")
        XCTAssertEqual(status(inactive.id), "inactive")
        XCTAssertEqual(status(revoked.id), "revoked")
        XCTAssertEqual(status(expired.id), "expired")
        XCTAssertEqual(status(ownerInactive.id), "owner_inactive")
        XCTAssertEqual(status(sv.id), "active")
        for t in all where t["status"] as? String != "active" {
            XCTAssertEqual(strings(t["effective_scopes"]), [], "effective_scopes must be [] for \(t["status"] ?? "")")
        }

        XCTAssertEqual(Set(ids(try tokenList(s, "status=active"))), [active.id, sv.id])
        XCTAssertEqual(ids(try tokenList(s, "status=inactive")), [inactive.id])
        XCTAssertEqual(ids(try tokenList(s, "status=revoked")), [revoked.id])
        XCTAssertEqual(ids(try tokenList(s, "status=expired")), [expired.id])
        XCTAssertEqual(ids(try tokenList(s, "status=owner_inactive")), [ownerInactive.id])
        XCTAssertEqual(ids(try tokenList(s, "kind=service")), [sv.id])
        XCTAssertEqual(Set(ids(try tokenList(s, "kind=personal"))),
                       [active.id, inactive.id, revoked.id, expired.id, ownerInactive.id])
        XCTAssertEqual(ids(try tokenList(s, "owner=bob")), [ownerInactive.id])
        XCTAssertEqual(ids(try tokenList(s, "owner=nobody")), [])
        XCTAssertEqual(Set(ids(try tokenList(s, "kind=personal owner=alice status=active"))), [active.id])
        XCTAssertEqual(ids(try tokenList(s, "status=active kind=service")), [sv.id])
        XCTAssertEqual(ids(try tokenList(s, "kind=service owner=alice")), [])
        // The filtered list keeps the order.
        XCTAssertEqual(ids(try tokenList(s, "owner=alice")), ids(all).filter {
            [active.id, inactive.id, revoked.id, expired.id].contains($0)
        })
        XCTAssertEqual(ids(try tokenList(s, "")), ids(all), "an empty query is no filter")
    }

    func testStatusFilterUsesTheFirstFailingCheck() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read", expires: T0 + HOUR)
        assertStatus(ta_token_set_active(s, Members.alice, t.id, false), TA_OK)
        setMemberActive(s, Members.alice, false)
        XCTAssertEqual(ids(try tokenList(s, "status=inactive")), [t.id])
        XCTAssertEqual(ids(try tokenList(s, "status=owner_inactive")), [])
        ta_set_clock(s, T0 + 2 * HOUR)
        XCTAssertEqual(ids(try tokenList(s, "status=expired")), [t.id], "expired comes before inactive")
        XCTAssertEqual(ids(try tokenList(s, "status=inactive")), [])
        XCTAssertEqual(ids(try tokenList(s, "status=active")), [])
        assertStatus(ta_token_revoke(s, nil, t.id), TA_OK)
        XCTAssertEqual(ids(try tokenList(s, "status=revoked")), [t.id])
        XCTAssertEqual(ids(try tokenList(s, "status=expired")), [])
    }

    func testBadFilters() throws {
        let s = try seededStore()
        _ = try create(s, actor: Members.alice, scopes: "tickets:read")
        for q in [
            "kind=robot", "kind=", "kind", "status=deleted", "status=Active", "status=", "owner=", "owner=bad/id",
            "owner=\(String(repeating: "a", count: 64))", "foo=bar", "kind=personal kind=service",
            "owner=alice owner=alice", "status=active status=revoked", "=personal", "kind==personal",
            "name=token", "limit=1", "KIND=personal", oneMiB,
        ] {
            let (st, text) = callOut("ta_token_list(\(q.prefix(40)))") { ta_token_list(s, Members.alice, q, $0) }
            assertFails(st, TA_INVALID_ARGUMENT, "query \(q.prefix(60))")
            XCTAssertNil(text)
        }
        withCArgs([.bytes(invalidUTF8)]) { p in
            assertFails(callOut { ta_token_list(s, nil, p[0], $0) }.status, TA_INVALID_ARGUMENT)
        }
        XCTAssertEqual(events(s, "event=iam.denied").count, 0, "bad arguments are not IAM refusals")
    }

    func testEffectiveScopesFollowTheOwnerNow() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:write assets:read")
        XCTAssertEqual(strings(try tokenGet(s, t.id)["effective_scopes"]), ["assets:read", "tickets:read", "tickets:write"])
        putMember(s, Members.alice, "tickets:read ManagePersonalAccessTokens")
        XCTAssertEqual(strings(try tokenGet(s, t.id)["effective_scopes"]), ["tickets:read"])
        XCTAssertEqual(strings(try tokenGet(s, t.id)["scopes"]), ["assets:read", "tickets:write"], "granted scopes never change")
    }

    func testUsageFieldsInTheListing() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        ta_set_clock(s, T0 + MINUTE)
        for _ in 0..<3 { assertVerdict(verify(s, t.secret), TA_OK) }
        let j = try tokenGet(s, t.id)
        XCTAssertEqual(int64(j["use_count"]), 3, "reads see this handle's own buffered usage")
        XCTAssertEqual(int64(j["last_used_at"]), T0 + MINUTE)
    }

    func testListAsHostSeesEverythingAndEmptyStoreIsEmptyArray() throws {
        let s = try seededStore()
        XCTAssertEqual(try tokenList(s).count, 0)
        XCTAssertEqual(try tokenList(s, actor: Members.alice).count, 0)
    }
}
