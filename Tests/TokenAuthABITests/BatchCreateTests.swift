// ta_token_create_batch: count tokens in one call, exactly as count ta_token_create calls would make
// them, all or none; the out arrays, the count bounds, the spec named in errors, IAM and its audit.

import CTokenAuth
import Foundation
import XCTest

final class BatchCreateTests: ABITestCase {
    /// One element of the `specs` array.
    private struct Spec {
        var name: CArg = "token"
        var kind: ta_token_kind = TA_KIND_PERSONAL
        var scopes: CArg = "tickets:read"
        var expires: Int64 = 0
        var rate: UInt32 = 0
        var window: UInt32 = 0
    }

    private struct Outcome {
        let status: ta_status
        let error: String
        /// Element i of out_tokens / out_token_ids (nil where NULL, or where the array was not passed).
        let secrets: [String?]
        let ids: [String?]
        /// Every element of both arrays still holds the sentinel the test put there.
        let untouched: Bool
    }

    /// ta_token_create_batch on `specs`, with `count` (default specs.count) and every pointer
    /// controllable. Checks the out-array rules: on TA_OK every requested element is a fresh string;
    /// on failure every element is NULL, or untouched when `count` is out of range.
    private func batchRaw(_ s: OpaquePointer?, actor: CArg, _ specs: [Spec], count: Int? = nil, nullSpecs: Bool = false,
                          wantSecrets: Bool = true, wantIDs: Bool = true,
                          file: StaticString = #filePath, line: UInt = #line) -> Outcome {
        let n = count ?? specs.count
        let inRange = n >= 1 && n <= Int(TA_BATCH_MAX)
        // The arrays hold as many pointers as the call may write: `count` when it is in range.
        let slots = inRange ? n : max(specs.count, 1)
        return withCArgs([actor] + specs.flatMap { [$0.name, $0.scopes] }) { p in
            let cSpecs = specs.enumerated().map { i, spec in
                ta_token_spec(name: p[1 + 2 * i], kind: spec.kind, scopes: p[2 + 2 * i], expires_at_ms: spec.expires,
                              rate_limit: spec.rate, rate_window_ms: spec.window)
            }
            var tokens = [UnsafeMutablePointer<CChar>?](repeating: outSentinel(), count: slots)
            var ids = [UnsafeMutablePointer<CChar>?](repeating: outSentinel(), count: slots)
            let st = cSpecs.withUnsafeBufferPointer { sp in
                tokens.withUnsafeMutableBufferPointer { tp in
                    ids.withUnsafeMutableBufferPointer { ip in
                        ta_token_create_batch(s, p[0], nullSpecs ? nil : sp.baseAddress, n,
                                              wantSecrets ? tp.baseAddress : nil, wantIDs ? ip.baseAddress : nil)
                    }
                }
            }
            let err = lastError()
            if st != TA_OK {
                XCTAssertFalse(err.isEmpty, "ta_token_create_batch: empty ta_last_error after \(statusName(st))",
                               file: file, line: line)
            }
            let untouched = (tokens + ids).allSatisfy { $0 == outSentinel() }
            if !inRange {
                XCTAssertTrue(untouched, "count \(n) is out of range: the arrays must not be touched", file: file, line: line)
                return Outcome(status: st, error: err, secrets: [], ids: [], untouched: untouched)
            }
            let secrets = wantSecrets ? tokens.enumerated().map { takeOut(st, $1, "out_tokens[\($0)]", file: file, line: line) }
                : tokens.map { _ in nil }
            let tokenIDs = wantIDs ? ids.enumerated().map { takeOut(st, $1, "out_token_ids[\($0)]", file: file, line: line) }
                : ids.map { _ in nil }
            if !wantSecrets { XCTAssertTrue(tokens.allSatisfy { $0 == outSentinel() }, "out_tokens was NULL", file: file, line: line) }
            if !wantIDs { XCTAssertTrue(ids.allSatisfy { $0 == outSentinel() }, "out_token_ids was NULL", file: file, line: line) }
            return Outcome(status: st, error: err, secrets: secrets, ids: tokenIDs, untouched: untouched)
        }
    }

    /// Creates a batch and asserts success: the new tokens, in spec order.
    private func batch(_ s: OpaquePointer?, actor: String?, _ specs: [Spec],
                       file: StaticString = #filePath, line: UInt = #line) throws -> [NewToken] {
        let r = batchRaw(s, actor: CArg(actor), specs, file: file, line: line)
        assertStatus(r.status, TA_OK, "ta_token_create_batch(actor: \(actor ?? "NULL"))", file: file, line: line)
        return try zip(r.secrets, r.ids).map { secret, id in
            NewToken(secret: try XCTUnwrap(secret, "no secret", file: file, line: line),
                     id: try XCTUnwrap(id, "no token id", file: file, line: line))
        }
    }

    /// Asserts that a refused batch left no trace but (for IAM) its iam.denied entry.
    private func assertNothingCreated(_ s: OpaquePointer, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try tokenList(s, file: file, line: line).count, 0, "a refused batch created tokens", file: file, line: line)
        XCTAssertEqual(events(s, "event=token.created", file: file, line: line).count, 0,
                       "a refused batch wrote token.created", file: file, line: line)
    }

    // MARK: success

    func testBatchCreatesEveryTokenAsOneCallEachWould() throws {
        let path = tempPath()
        let s = try seededStore(path: path)
        let specs = (0..<5).map { i in
            Spec(name: .str("svc \(i)"), kind: TA_KIND_SERVICE, scopes: i == 1 ? "tickets:write" : "tickets:read",
                 expires: i == 2 ? T0 + DAY : 0, rate: i == 3 ? 7 : 0, window: i == 3 ? 60_000 : 0)
        }
        let made = try batch(s, actor: Members.svc, specs)
        XCTAssertEqual(made.count, 5)
        XCTAssertEqual(Set(made.map(\.id)).count, 5, "ids are distinct")
        XCTAssertEqual(Set(made.map(\.secret)).count, 5, "secrets are distinct")
        for (i, t) in made.enumerated() {
            let v = verify(s, t.secret, "tickets:read")
            assertVerdict(v, TA_OK, "token \(i)")
            XCTAssertEqual(v.tokenID, t.id)
            XCTAssertEqual(v.subjectID, t.id, "a service token's subject is its id")
            XCTAssertEqual(v.kind, TA_KIND_SERVICE)
            let got = try tokenGet(s, t.id)
            XCTAssertEqual(got["name"] as? String, "svc \(i)", "token i is made from specs[i]")
            XCTAssertEqual(got["created_by"] as? String, Members.svc)
        }
        XCTAssertEqual(strings(try tokenGet(s, made[1].id)["effective_scopes"]), ["tickets:read", "tickets:write"])
        XCTAssertEqual(int64(try tokenGet(s, made[2].id)["expires_at"]), T0 + DAY)
        XCTAssertEqual(verify(s, made[3].secret).rate_limit, 7)
        XCTAssertEqual(try tokenList(s).count, 5)

        let created = events(s, "event=token.created")
        XCTAssertEqual(created.count, 5, "one token.created per token")
        XCTAssertEqual(Set(created.compactMap { $0["token_id"] as? String }), Set(made.map(\.id)))
        XCTAssertTrue(created.allSatisfy { $0["actor"] as? String == Members.svc })
        XCTAssertEqual(Set(created.compactMap { detail($0)["name"] as? String }), Set((0..<5).map { "svc \($0)" }))

        // Another handle (another process, in a gateway) accepts them at once.
        let other = try openStore(path: path)
        for t in made { assertVerdict(verify(other, t.secret, "tickets:read"), TA_OK) }
    }

    func testPersonalBatchByAMemberMatchesSingleCreation() throws {
        let s = try seededStore()
        let single = try create(s, actor: Members.alice, name: "same", scopes: "tickets:write assets:read", expires: T0 + HOUR)
        let made = try batch(s, actor: Members.alice, [
            Spec(name: "same", scopes: "tickets:write assets:read", expires: T0 + HOUR),
            Spec(name: "second", scopes: "assets:read"),
        ])
        for t in made {
            let v = verify(s, t.secret, "assets:read")
            assertVerdict(v, TA_OK)
            XCTAssertEqual(v.subjectID, Members.alice, "a personal token acts as its owner")
            XCTAssertEqual(try tokenGet(s, t.id)["owner"] as? String, Members.alice)
        }
        // The same spec gives the same record, whichever call made it.
        let a = try tokenGet(s, single.id), b = try tokenGet(s, made[0].id)
        for key in ["name", "kind", "owner", "created_by", "scopes", "effective_scopes", "status", "created_at",
                    "expires_at", "rate_limit", "rotated_from"] {
            XCTAssertEqual(a[key].map { "\($0)" }, b[key].map { "\($0)" }, key)
        }
        XCTAssertEqual(Set(ids(try tokenList(s, actor: Members.alice))), Set([single.id] + made.map(\.id)))
        XCTAssertEqual(ids(try tokenList(s, actor: Members.bob)), [], "bob does not see alice's tokens")
    }

    func testTheLargestBatch() throws {
        let s = try openStore()
        let n = Int(TA_BATCH_MAX)
        let made = try batch(s, actor: nil, (0..<n).map { Spec(name: .str("bulk \($0)"), kind: TA_KIND_SERVICE) })
        XCTAssertEqual(made.count, n)
        XCTAssertEqual(Set(made.map(\.id)).count, n)
        for t in [made.first, made[n / 2], made.last].compactMap({ $0 }) {
            assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK)
        }
        XCTAssertEqual(try tokenList(s).count, n)
        XCTAssertEqual(events(s, "event=token.created limit=\(n + 1)").count, n)
    }

    func testEitherArrayMayBeNULL() throws {
        let s = try seededStore()
        let specs = [Spec(name: "a"), Spec(name: "b")]
        let none = batchRaw(s, actor: .str(Members.alice), specs, wantSecrets: false, wantIDs: false)
        assertStatus(none.status, TA_OK)
        XCTAssertEqual(try tokenList(s, actor: Members.alice).count, 2)
        let idsOnly = batchRaw(s, actor: .str(Members.alice), specs, wantSecrets: false)
        assertStatus(idsOnly.status, TA_OK)
        let newIDs = idsOnly.ids.compactMap { $0 }
        XCTAssertEqual(newIDs.count, 2)
        for id in newIDs { XCTAssertEqual(try tokenGet(s, actor: Members.alice, id)["owner"] as? String, Members.alice) }
        let secretsOnly = batchRaw(s, actor: .str(Members.alice), specs, wantIDs: false)
        assertStatus(secretsOnly.status, TA_OK)
        XCTAssertEqual(secretsOnly.secrets.compactMap { $0 }.count, 2)
        for secret in secretsOnly.secrets.compactMap({ $0 }) { assertVerdict(verify(s, secret), TA_OK) }
    }

    // MARK: all or nothing

    func testOneBadSpecFailsTheWholeBatchAndNamesIt() throws {
        let s = try seededStore()
        let cases: [(Int, Spec, ta_status, String)] = [
            (2, Spec(name: ""), TA_INVALID_ARGUMENT, "specs[2]: name is empty"),
            (3, Spec(scopes: ""), TA_INVALID_ARGUMENT, "specs[3]: scopes:"),
            (1, Spec(scopes: "Bad Scope"), TA_INVALID_ARGUMENT, "specs[1]: scopes:"),
            (4, Spec(expires: T0 - 1), TA_INVALID_ARGUMENT, "specs[4]: expires_at_ms"),
            (1, Spec(name: nil), TA_INVALID_ARGUMENT, "specs[1].name is NULL"),
            (2, Spec(scopes: nil), TA_INVALID_ARGUMENT, "specs[2].scopes is NULL"),
            (0, Spec(kind: ta_token_kind(rawValue: 7)), TA_INVALID_ARGUMENT, "specs[0].kind"),
            (3, Spec(scopes: .bytes(invalidUTF8)), TA_INVALID_ARGUMENT, "specs[3].scopes is not valid UTF-8"),
            (4, Spec(scopes: "tickets:nope"), TA_UNKNOWN_SCOPE, "specs[4]: scope \"tickets:nope\""),
            (2, Spec(scopes: "users:write"), TA_PERMISSION_DENIED, "specs[2]: "),
            (1, Spec(kind: TA_KIND_SERVICE), TA_PERMISSION_DENIED, "specs[1]: "),
        ]
        for (bad, spec, want, message) in cases {
            var specs = (0..<5).map { Spec(name: .str("good \($0)")) }
            specs[bad] = spec
            let r = batchRaw(s, actor: .str(Members.alice), specs)
            assertFails(r.status, want, "specs[\(bad)] = \(spec)")
            XCTAssertTrue(r.error.hasPrefix(message), "ta_last_error \"\(r.error)\" should start with \"\(message)\"")
            try assertNothingCreated(s)
        }
        // The first failing spec decides, in the documented order: arguments of every spec before
        // the catalog and IAM checks of any.
        let r = batchRaw(s, actor: .str(Members.alice), [Spec(scopes: "users:write"), Spec(scopes: "tickets:nope"), Spec(name: "")])
        assertFails(r.status, TA_INVALID_ARGUMENT)
        XCTAssertTrue(r.error.hasPrefix("specs[2]: "), r.error)
        let r2 = batchRaw(s, actor: .str(Members.alice), [Spec(), Spec(scopes: "users:write"), Spec(scopes: "tickets:nope")])
        assertFails(r2.status, TA_PERMISSION_DENIED)
        XCTAssertTrue(r2.error.hasPrefix("specs[1]: "), r2.error)
        // The host cannot own personal tokens, in a batch either.
        let host = batchRaw(s, actor: nil, [Spec(kind: TA_KIND_SERVICE), Spec()])
        assertFails(host.status, TA_INVALID_ARGUMENT)
        XCTAssertTrue(host.error.hasPrefix("specs[1]: the host"), host.error)
        try assertNothingCreated(s)
    }

    func testCountOutOfRangeTouchesNothing() throws {
        let s = try seededStore()
        for count in [0, Int(TA_BATCH_MAX) + 1, Int(bitPattern: UInt.max)] {
            let r = batchRaw(s, actor: .str(Members.alice), [Spec()], count: count)
            assertFails(r.status, TA_INVALID_ARGUMENT, "count \(count)")
            XCTAssertTrue(r.error.contains("count"), r.error)
            XCTAssertTrue(r.untouched)
        }
        // Checked before anything else, even a NULL store or NULL specs.
        let r = batchRaw(nil, actor: nil, [], count: 0, nullSpecs: true)
        assertFails(r.status, TA_INVALID_ARGUMENT)
        XCTAssertTrue(r.error.contains("count"), r.error)
        try assertNothingCreated(s)
    }

    func testNullArguments() throws {
        let s = try seededStore()
        let noStore = batchRaw(nil, actor: .str(Members.alice), [Spec(), Spec()])
        assertFails(noStore.status, TA_INVALID_ARGUMENT)
        XCTAssertEqual(noStore.error, "store is NULL")
        let noSpecs = batchRaw(s, actor: .str(Members.alice), [Spec(), Spec()], nullSpecs: true)
        assertFails(noSpecs.status, TA_INVALID_ARGUMENT)
        XCTAssertEqual(noSpecs.error, "specs is NULL")
        let badActor = batchRaw(s, actor: .bytes(invalidUTF8), [Spec()])
        assertFails(badActor.status, TA_INVALID_ARGUMENT)
        XCTAssertTrue(badActor.error.hasPrefix("actor"), badActor.error)
        let reserved = batchRaw(s, actor: "system", [Spec(kind: TA_KIND_SERVICE)])
        assertFails(reserved.status, TA_INVALID_ARGUMENT)
        try assertNothingCreated(s)
    }

    // MARK: IAM

    func testIAMRefusalIsAuditedAsIAMDenied() throws {
        let s = try seededStore()
        // carol holds no IAM action: no service tokens for her, twice in the same minute.
        for _ in 0..<2 {
            let r = batchRaw(s, actor: .str(Members.carol), [Spec(kind: TA_KIND_SERVICE), Spec(kind: TA_KIND_SERVICE)])
            assertFails(r.status, TA_PERMISSION_DENIED)
            XCTAssertTrue(r.error.hasPrefix("specs[0]: "), r.error)
        }
        let denied = events(s, "event=iam.denied actor=carol")
        XCTAssertEqual(denied.count, 1, "aggregated per (actor, action, token, minute): \(denied)")
        if let e = denied.first {
            XCTAssertEqual(detail(e)["action"] as? String, "token_create_batch")
            XCTAssertEqual(int64(detail(e)["count"]), 2)
            XCTAssertTrue(isNull(e, "token_id"))
        }
        // An actor that is not an active member: refused as a whole (no spec named), audited too.
        setMemberActive(s, Members.bob, false)
        let inactive = batchRaw(s, actor: .str(Members.bob), [Spec()])
        assertFails(inactive.status, TA_PERMISSION_DENIED)
        XCTAssertFalse(inactive.error.contains("specs["), inactive.error)
        XCTAssertEqual(detail(events(s, "event=iam.denied actor=bob").first ?? [:])["action"] as? String, "token_create_batch")
        // Other refusals write nothing.
        let before = events(s).count
        assertFails(batchRaw(s, actor: .str(Members.alice), [Spec(scopes: "tickets:nope")]).status, TA_UNKNOWN_SCOPE)
        assertFails(batchRaw(s, actor: .str(Members.alice), [Spec(name: "")]).status, TA_INVALID_ARGUMENT)
        XCTAssertEqual(events(s).count, before)
        try assertNothingCreated(s)
    }
}
