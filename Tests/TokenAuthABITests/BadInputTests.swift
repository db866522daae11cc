// Bad input for every function: NULL pointers, invalid UTF-8, 1 MiB strings, malformed
// identifiers, unknown scopes, past expiry, bad kinds. Each must give the documented status, a
// non-empty ta_last_error(), NULL in every char** out, and write nothing.

import CTokenAuth
import Foundation
import XCTest

final class BadInputTests: ABITestCase {
    /// Malformed identifiers (actor, token id).
    private let badIDs: [CArg] = [
        "", "a b", "a/b", "tok_\u{00E9}", "a\tb", "a\"b", "a\\b", "a,b",
        .str(String(repeating: "x", count: 64)), .bytes(invalidUTF8), .str(oneMiB),
    ]

    func testOpen() throws {
        let (st, store) = openRaw(nil)
        assertFails(st, TA_INVALID_ARGUMENT, "path NULL")
        XCTAssertNil(store)
        assertFails(openRaw(.bytes(invalidUTF8)).status, TA_INVALID_ARGUMENT, "path invalid UTF-8")
        // out_store NULL.
        let path = tempPath()
        assertFails(ta_open(path, nil, nil), TA_INVALID_ARGUMENT, "out_store NULL")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "a refused open created the file")
    }

    func testTokenCreate() throws {
        let s = try seededStore()
        let before = snapshot(s)
        func check(_ want: ta_status, _ why: String, store: OpaquePointer? = nil, useStore: Bool = true,
                   actor: CArg = .str(Members.alice), name: CArg = "name", kind: ta_token_kind = TA_KIND_PERSONAL,
                   scopes: CArg = "tickets:read", expires: Int64 = 0, nullSpec: Bool = false,
                   line: UInt = #line) {
            let r = createRaw(useStore ? s : store, actor: actor, name: name, kind: kind, scopes: scopes,
                              expires: expires, nullSpec: nullSpec, line: line)
            assertFails(r.status, want, why, line: line)
            XCTAssertNil(r.secret, why, line: line)
            XCTAssertNil(r.id, why, line: line)
        }
        check(TA_INVALID_ARGUMENT, "store NULL", useStore: false)
        check(TA_INVALID_ARGUMENT, "spec NULL", nullSpec: true)
        for n: CArg in [nil, "", .str(String(repeating: "n", count: 201)), .str(String(repeating: "é", count: 101)),
                        .bytes(invalidUTF8), .str(oneMiB)] {
            check(TA_INVALID_ARGUMENT, "name \(n)", name: n)
        }
        for k: UInt32 in [0, 3, 0xFFFF_FFFF] {
            check(TA_INVALID_ARGUMENT, "kind \(k)", kind: ta_token_kind(rawValue: k))
        }
        for sc: CArg in [nil, "", " ", "Tickets:read", "tickets:read,assets:read", "tickets:read\tassets:read",
                         .str(String(repeating: "s", count: 64)), .bytes(invalidUTF8), .str(oneMiB)] {
            check(TA_INVALID_ARGUMENT, "scopes \(sc)", scopes: sc)
        }
        check(TA_UNKNOWN_SCOPE, "unknown scope", scopes: "widgets:read")
        check(TA_UNKNOWN_SCOPE, "unknown scope among known", scopes: "tickets:read widgets:read")
        for e: Int64 in [T0 - 1, T0, 1, -1, Int64.min] {
            check(TA_INVALID_ARGUMENT, "expires \(e) (now is \(T0))", expires: e)
        }
        for a in badIDs + ["system"] {
            check(TA_INVALID_ARGUMENT, "actor \(a)", actor: a)
        }
        // Argument syntax comes before the actor check: no iam.denied for these.
        check(TA_INVALID_ARGUMENT, "ghost with a bad name", actor: "ghost", name: "")
        check(TA_INVALID_ARGUMENT, "host personal", actor: nil)
        XCTAssertEqual(snapshot(s), before, "a refused create wrote something")

        // Both out pointers may be NULL.
        let r = createRaw(s, actor: .str(Members.alice), scopes: "tickets:read", wantSecret: false, wantID: false)
        assertStatus(r.status, TA_OK)
        XCTAssertEqual(try tokenList(s).count, 1)
        let r2 = createRaw(s, actor: .str(Members.alice), scopes: "tickets:read", wantSecret: false)
        assertStatus(r2.status, TA_OK)
        XCTAssertNotNil(r2.id)
        let r3 = createRaw(s, actor: .str(Members.alice), scopes: "tickets:read", wantID: false)
        assertStatus(r3.status, TA_OK)
        if let secret = r3.secret { assertVerdict(verify(s, secret), TA_OK) }
    }

    func testTokenCallsWithBadTokenIDsAndActors() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let before = snapshot(s)
        for id in badIDs + [nil] {
            withCArgs([id]) { p in
                let why = "token id \(id)"
                assertFails(ta_token_rename(s, Members.alice, p[0], "x"), TA_INVALID_ARGUMENT, why)
                assertFails(ta_token_set_active(s, Members.alice, p[0], false), TA_INVALID_ARGUMENT, why)
                assertFails(ta_token_revoke(s, Members.alice, p[0]), TA_INVALID_ARGUMENT, why)
                assertFails(ta_token_delete(s, Members.alice, p[0]), TA_INVALID_ARGUMENT, why)
                assertFails(rotateRaw(s, actor: .str(Members.alice), id).status, TA_INVALID_ARGUMENT, why)
                assertFails(callOut { ta_token_get(s, Members.alice, p[0], $0) }.status, TA_INVALID_ARGUMENT, why)
                assertFails(callOut { ta_token_stats(s, Members.alice, p[0], 0, $0) }.status, TA_INVALID_ARGUMENT, why)
                assertFails(ta_record_usage(s, p[0], "GET /", 200), TA_INVALID_ARGUMENT, why)
            }
        }
        for a in badIDs + ["system"] {
            withCArgs([a]) { p in
                let why = "actor \(a)"
                assertFails(ta_token_rename(s, p[0], t.id, "x"), TA_INVALID_ARGUMENT, why)
                assertFails(ta_token_set_active(s, p[0], t.id, false), TA_INVALID_ARGUMENT, why)
                assertFails(ta_token_revoke(s, p[0], t.id), TA_INVALID_ARGUMENT, why)
                assertFails(ta_token_delete(s, p[0], t.id), TA_INVALID_ARGUMENT, why)
                assertFails(rotateRaw(s, actor: a, .str(t.id)).status, TA_INVALID_ARGUMENT, why)
                assertFails(callOut { ta_token_get(s, p[0], t.id, $0) }.status, TA_INVALID_ARGUMENT, why)
                assertFails(callOut { ta_token_stats(s, p[0], t.id, 0, $0) }.status, TA_INVALID_ARGUMENT, why)
                assertFails(callOut { ta_token_list(s, p[0], nil, $0) }.status, TA_INVALID_ARGUMENT, why)
                assertFails(callOut { ta_report(s, p[0], 0, $0) }.status, TA_INVALID_ARGUMENT, why)
                assertFails(callOut { ta_audit(s, p[0], nil, $0) }.status, TA_INVALID_ARGUMENT, why)
            }
        }
        // Rename with a bad name.
        for n: CArg in [nil, "", .str(String(repeating: "n", count: 201)), .bytes(invalidUTF8), .str(oneMiB)] {
            withCArgs([n]) { p in
                assertFails(ta_token_rename(s, Members.alice, t.id, p[0]), TA_INVALID_ARGUMENT, "name \(n)")
            }
        }
        // Rotate with a negative grace.
        assertFails(rotateRaw(s, actor: .str(Members.alice), .str(t.id), grace: -1).status, TA_INVALID_ARGUMENT)
        XCTAssertEqual(snapshot(s), before, "a refused call wrote something")
        assertVerdict(verify(s, t.secret), TA_OK)
        // A well-formed identifier that is no token is simply not found.
        assertFails(ta_token_revoke(s, nil, "abc"), TA_NOT_FOUND)
    }

    func testOtherInvalidUTF8() throws {
        let s = try seededStore()
        let before = snapshot(s)
        let samples: [[UInt8]] = [
            [0x61, 0xED, 0xA0, 0x80],        // an encoded UTF-16 surrogate
            [0x61, 0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0x61, 0xE2, 0x82],              // truncated sequence
            [0xFE, 0xFF],                    // never valid
        ]
        for b in samples {
            withCArgs([.bytes(b)]) { p in
                assertFails(ta_member_put(s, p[0], ""), TA_INVALID_ARGUMENT, "member id \(b)")
                assertFails(ta_member_put(s, "amy", p[0]), TA_INVALID_ARGUMENT, "permissions \(b)")
                assertFails(ta_scope_define(s, "reports:read", nil, p[0]), TA_INVALID_ARGUMENT, "description \(b)")
                assertFails(ta_token_rename(s, nil, "tok_0000000000000000", p[0]), TA_INVALID_ARGUMENT, "name \(b)")
            }
            assertFails(createRaw(s, actor: .str(Members.alice), name: .bytes(b), scopes: "tickets:read").status,
                        TA_INVALID_ARGUMENT, "token name \(b)")
        }
        XCTAssertEqual(snapshot(s), before)
    }

    func testNullStoreEverywhere() {
        assertFails(ta_flush(nil), TA_INVALID_ARGUMENT)
        assertFails(ta_scope_define(nil, "x", nil, nil), TA_INVALID_ARGUMENT)
        assertFails(callOut { ta_scope_list(nil, $0) }.status, TA_INVALID_ARGUMENT)
        assertFails(ta_member_put(nil, "a", ""), TA_INVALID_ARGUMENT)
        assertFails(ta_member_set_active(nil, "a", true), TA_INVALID_ARGUMENT)
        assertFails(ta_member_remove(nil, "a"), TA_INVALID_ARGUMENT)
        assertFails(callOut { ta_member_list(nil, $0) }.status, TA_INVALID_ARGUMENT)
        assertFails(createRaw(nil, actor: nil, kind: TA_KIND_SERVICE, scopes: "tickets:read").status, TA_INVALID_ARGUMENT)
        assertFails(ta_token_rename(nil, nil, "tok_0000000000000000", "x"), TA_INVALID_ARGUMENT)
        assertFails(ta_token_set_active(nil, nil, "tok_0000000000000000", true), TA_INVALID_ARGUMENT)
        assertFails(ta_token_revoke(nil, nil, "tok_0000000000000000"), TA_INVALID_ARGUMENT)
        assertFails(ta_token_delete(nil, nil, "tok_0000000000000000"), TA_INVALID_ARGUMENT)
        assertFails(rotateRaw(nil, actor: nil, "tok_0000000000000000").status, TA_INVALID_ARGUMENT)
        assertFails(callOut { ta_token_list(nil, nil, nil, $0) }.status, TA_INVALID_ARGUMENT)
        assertFails(callOut { ta_token_get(nil, nil, "tok_0000000000000000", $0) }.status, TA_INVALID_ARGUMENT)
        assertFails(callOut { ta_token_stats(nil, nil, "tok_0000000000000000", 0, $0) }.status, TA_INVALID_ARGUMENT)
        assertFails(callOut { ta_audit(nil, nil, nil, $0) }.status, TA_INVALID_ARGUMENT)
        assertFails(callOut { ta_report(nil, nil, 0, $0) }.status, TA_INVALID_ARGUMENT)
        assertFails(ta_record_usage(nil, "tok_0000000000000000", "GET /", 200), TA_INVALID_ARGUMENT)
        assertFails(ta_verify(nil, "x", nil, nil), TA_INVALID_ARGUMENT)
        assertFails(ta_verify_n(nil, "x", 1, nil, nil), TA_INVALID_ARGUMENT)
        ta_close(nil)
        ta_free(nil)
        ta_set_clock(nil, 1)
    }

    func testNullOutPointers() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let before = snapshot(s)
        assertFails(ta_scope_list(s, nil), TA_INVALID_ARGUMENT)
        assertFails(ta_member_list(s, nil), TA_INVALID_ARGUMENT)
        assertFails(ta_token_list(s, nil, nil, nil), TA_INVALID_ARGUMENT)
        assertFails(ta_token_get(s, nil, t.id, nil), TA_INVALID_ARGUMENT)
        assertFails(ta_token_stats(s, nil, t.id, 0, nil), TA_INVALID_ARGUMENT)
        assertFails(ta_audit(s, nil, nil, nil), TA_INVALID_ARGUMENT)
        assertFails(ta_report(s, nil, 0, nil), TA_INVALID_ARGUMENT)
        // An unknown actor with a NULL out: the argument check comes first, nothing is audited.
        assertFails(ta_token_list(s, "ghost", nil, nil), TA_INVALID_ARGUMENT)
        XCTAssertEqual(snapshot(s), before)
    }

    func testNegativeSince() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        // since_ms < 0 is not a time: refused, or treated as "all time"; never a crash.
        let (st, text) = callOut { ta_token_stats(s, nil, t.id, -1, $0) }
        XCTAssertTrue(st == TA_OK || st == TA_INVALID_ARGUMENT, statusName(st))
        if st == TA_OK { XCTAssertNotNil(parseJSON(text)) }
        let (st2, text2) = callOut { ta_report(s, nil, Int64.min, $0) }
        XCTAssertTrue(st2 == TA_OK || st2 == TA_INVALID_ARGUMENT, statusName(st2))
        if st2 == TA_OK { XCTAssertNotNil(parseJSON(text2)) }
    }

    func testLastErrorNamesTheProblemWithoutSecrets() throws {
        let s = try seededStore()
        assertStatus(ta_member_put(s, "a b", ""), TA_INVALID_ARGUMENT)
        XCTAssertFalse(lastError().isEmpty)
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_token_revoke(s, Members.alice, t.id), TA_OK)
        for cred in [t.secret, "Bearer " + t.secret, " " + t.secret, t.secret + "x"] {
            _ = verify(s, cred, "tickets:read")
            let e = lastError()
            XCTAssertFalse(e.isEmpty)
            for frag in secretFragments(t.secret, hintLength: 9) {
                XCTAssertFalse(e.contains(frag), "ta_last_error() leaks the secret: \(e)")
            }
        }
    }
}
