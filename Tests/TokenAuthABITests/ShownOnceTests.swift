// Shown once: the secret is returned by create and rotate only; nothing the library outputs
// later (JSON, ta_last_error) contains it or more of it than the public hint.

import CTokenAuth
import Foundation
import XCTest

final class ShownOnceTests: ABITestCase {
    private func assertNoSecret(_ outputs: [String], _ secrets: [String], hintLength: Int,
                                file: StaticString = #filePath, line: UInt = #line) {
        for out in outputs {
            for secret in secrets {
                XCTAssertFalse(out.contains(secret), "an output contains a whole secret", file: file, line: line)
                for frag in secretFragments(secret, hintLength: hintLength) where out.contains(frag) {
                    XCTFail("an output contains \(frag), a fragment of a secret beyond its hint: \(out.prefix(400))",
                            file: file, line: line)
                    break
                }
            }
            // Nothing that looks like a token beyond a hint: <prefix><k>_ followed by 5+ base62.
            if out.range(of: "tka[ps]_[0-9A-Za-z]{5,}", options: .regularExpression) != nil {
                XCTFail("an output contains a token-shaped string: \(out.prefix(400))", file: file, line: line)
            }
        }
    }

    func testSecretNeverAppearsAgain() throws {
        let s = try seededStore()
        let p = try create(s, actor: Members.alice, name: "p", scopes: "tickets:write", rate: 2, window: 1000)
        let sv = try service(s, name: "s", scopes: "tickets:read")
        // Exercise every kind of record: uses, denials, usage records, rotation, revocation.
        assertVerdict(verify(s, p.secret, "tickets:read"), TA_OK)
        assertVerdict(verify(s, "Bearer " + p.secret, "users:read"), TA_FORBIDDEN)
        assertVerdict(verify(s, p.secret), TA_OK)
        assertVerdict(verify(s, p.secret), TA_RATE_LIMITED)
        assertStatus(ta_record_usage(s, p.id, "GET /api/tickets", 200), TA_OK)
        let r = try rotate(s, actor: Members.alice, p.id, grace: 1000)
        let r2 = try rotate(s, actor: Members.svc, sv.id)
        assertVerdict(verify(s, sv.secret), TA_REVOKED)
        assertStatus(ta_token_revoke(s, Members.alice, r.id), TA_OK)
        assertVerdict(verify(s, r.secret), TA_REVOKED)
        _ = callOut { ta_token_get(s, Members.bob, r.id, $0) }  // iam.denied
        assertStatus(ta_flush(s), TA_OK)

        let ids = [p.id, sv.id, r.id, r2.id]
        var outputs = allOutputs(s, tokenIDs: ids)
        for actor in [Members.alice, Members.admin, Members.auditor, Members.svc] {
            outputs.append(callOut { ta_token_list(s, actor, nil, $0) }.text ?? "")
            outputs.append(callOut { ta_report(s, actor, 0, $0) }.text ?? "")
        }
        XCTAssertTrue(outputs.allSatisfy { !$0.isEmpty })
        assertNoSecret(outputs, [p.secret, sv.secret, r.secret, r2.secret], hintLength: 9)
        // The hint is there, and only the hint.
        let j = try tokenGet(s, p.id)
        XCTAssertEqual(j["hint"] as? String, String(p.secret.prefix(9)))
    }

    func testErrorsNeverContainTheSecret() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        var errors: [String] = []
        for (cred, scopes) in [(t.secret, "users:read"), ("Basic " + t.secret, "tickets:read"),
                               (t.secret + " ", "tickets:read"), (String(t.secret.dropLast()) + (t.secret.hasSuffix("Z") ? "Y" : "Z"), "tickets:read")] {
            _ = verify(s, cred, scopes)
            errors.append(lastError())
        }
        assertStatus(ta_token_set_active(s, Members.alice, t.id, false), TA_OK)
        _ = verify(s, t.secret)
        errors.append(lastError())
        var v = ta_verdict()
        _ = ta_verify_n(s, t.secret + "junk", t.secret.utf8.count + 4, nil, &v)
        errors.append(lastError())
        XCTAssertEqual(errors.indices.filter { errors[$0].isEmpty }, [], "calls that left no error text")
        assertNoSecret(errors, [t.secret], hintLength: 9)
    }

    func testRotationReturnsANewSecretOnce() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let n = try rotate(s, actor: Members.alice, t.id)
        XCTAssertNotEqual(n.secret, t.secret)
        // There is no way to get either secret again: no function returns a secret but these two.
        let outputs = allOutputs(s, tokenIDs: [t.id, n.id])
        assertNoSecret(outputs, [t.secret, n.secret], hintLength: 9)
    }

    func testLostSecretIsLostForGood() throws {
        let s = try seededStore()
        let r = createRaw(s, actor: .str(Members.alice), scopes: "tickets:read", wantSecret: false)
        assertStatus(r.status, TA_OK)
        let id = try XCTUnwrap(r.id)
        let j = try tokenGet(s, id)
        XCTAssertEqual((j["hint"] as? String)?.count, 9)
        // The only way forward is rotation, which issues a new secret.
        let n = try rotate(s, actor: Members.alice, id)
        assertVerdict(verify(s, n.secret), TA_OK)
    }
}
