// ta_open / ta_close / ta_flush / ta_set_clock: persistence, prefixes, foreign files, ":memory:".

import CTokenAuth
import Foundation
import XCTest

final class StoreLifecycleTests: ABITestCase {
    /// A 1024-byte SQLite 3 database (page size 512) of another application: one table
    /// `notes(x text)` with one row. Made with Python's sqlite3 module; embedded because the test
    /// target has no SQLite module of its own.
    static let foreignSQLiteBase64 =
        "U1FMaXRlIGZvcm1hdCAzAAIAAQEAQCAgAAAAAgAAAAIAAAAAAAAAAAAAAAEAAAAEAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAA"
        + "AAAAAAAAAAAAAAAAAAAAAAAAAAACAC5jAQ0AAAABAc4AAc4AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        + String(repeating: "A", count: 400)
        + "AAAAAAAAAAAAAAAAMAEGFxcXAUF0YWJsZW5vdGVzbm90ZXMCQ1JFQVRFIFRBQkxFIG5vdGVzKHggdGV4dCkNAAAAAQH6AAH6AAAA"
        + String(repeating: "A", count: 600)
        + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQBAhFoaQ=="

    func testForeignFixtureIsWellFormed() throws {
        let data = try XCTUnwrap(Data(base64Encoded: Self.foreignSQLiteBase64))
        XCTAssertEqual(data.count, 1024)
        XCTAssertEqual(String(decoding: data.prefix(15), as: UTF8.self), "SQLite format 3")
    }

    func testReopenPersistsEverything() throws {
        let path = tempPath()
        var s = try openStore(path: path, prefix: "acme")
        putMember(s, "alice", "tickets:write ManagePersonalAccessTokens")
        putMember(s, "bob", "tickets:read ManagePersonalAccessTokens")
        setMemberActive(s, "bob", false)
        assertStatus(ta_scope_define(s, "reports:read", nil, "Read reports"), TA_OK)
        let keep = try create(s, actor: "alice", name: "keeps", scopes: "tickets:write")
        let gone = try create(s, actor: "alice", name: "revoked", scopes: "tickets:read")
        let svc = try service(s, actor: nil, name: "svc", scopes: "reports:read", rate: 7, window: 1000)
        let bobs = try setUpBobToken(s)
        assertStatus(ta_token_revoke(s, "alice", gone.id), TA_OK)
        assertStatus(ta_token_set_active(s, nil, svc.id, false), TA_OK)
        assertVerdict(verify(s, keep.secret, "tickets:read"), TA_OK)
        let listBefore = try tokenList(s)
        let auditBefore = try auditLog(s)
        let membersBefore = try memberList(s)
        let scopesBefore = try scopeList(s)
        closeStore(s)

        s = try openStore(path: path)  // NULL prefix keeps "acme"
        XCTAssertEqual(try auditLog(s).count, auditBefore.count, "audit entries lost or added by reopen")
        assertVerdict(verify(s, keep.secret, "tickets:write"), TA_OK)
        assertVerdict(verify(s, gone.secret), TA_REVOKED)
        assertVerdict(verify(s, svc.secret), TA_INACTIVE)
        assertVerdict(verify(s, bobs.secret), TA_OWNER_INACTIVE)
        let listAfter = try tokenList(s)
        XCTAssertEqual(ids(listAfter), ids(listBefore))
        // Everything but usage (one more verify happened) is identical.
        for (a, b) in zip(listBefore, listAfter) {
            for key in ["id", "name", "kind", "owner", "created_by", "status", "hint", "created_at", "expires_at"] {
                XCTAssertEqual("\(a[key] ?? "missing")", "\(b[key] ?? "missing")", "\(key) after reopen")
            }
            XCTAssertEqual(strings(a["scopes"]), strings(b["scopes"]))
        }
        let svcJSON = try tokenGet(s, svc.id)
        let rl = svcJSON["rate_limit"] as? [String: Any]
        XCTAssertEqual(int64(rl?["limit"]), 7)
        XCTAssertEqual(int64(rl?["window_ms"]), 1000)
        XCTAssertEqual(int64(try tokenGet(s, keep.id)["use_count"]), 2, "usage did not survive reopen")
        XCTAssertEqual(try memberList(s).count, membersBefore.count)
        XCTAssertEqual(try scopeList(s).compactMap { $0["scope"] as? String },
                       scopesBefore.compactMap { $0["scope"] as? String })
        // The three denials above are the only new entries.
        XCTAssertEqual(try auditLog(s).count, auditBefore.count + 3)
        XCTAssertEqual(events(s, "event=verify.denied").count, 3)
        // New tokens keep the database's prefix.
        let fresh = try create(s, actor: "alice", scopes: "tickets:read")
        XCTAssertTrue(fresh.secret.hasPrefix("acmep_"), fresh.secret)
    }

    private func setUpBobToken(_ s: OpaquePointer) throws -> NewToken {
        setMemberActive(s, "bob", true)
        let t = try create(s, actor: "bob", scopes: "tickets:read")
        setMemberActive(s, "bob", false)
        return t
    }

    func testReopenWithAnotherPrefixIsConflict() throws {
        let path = tempPath()
        let s = try openStore(path: path, prefix: "acme")
        closeStore(s)
        let (st, store) = openRaw(.str(path), prefix: "zeta")
        assertFails(st, TA_CONFLICT)
        XCTAssertNil(store)
        // The default prefix is "another prefix" too when given explicitly.
        assertFails(openRaw(.str(path), prefix: "tka").status, TA_CONFLICT)
        // The same prefix, or NULL, opens it.
        assertStatus(openRaw(.str(path), prefix: "acme").status, TA_OK)
        assertStatus(openRaw(.str(path), prefix: nil).status, TA_OK)
        assertStatus(openRaw(.str(path), nullConfig: true).status, TA_OK)
    }

    func testNewDatabaseWithNullPrefixUsesTka() throws {
        let path = tempPath()
        let (st, store) = openRaw(.str(path), nullConfig: true)
        assertStatus(st, TA_OK)
        let s = try XCTUnwrap(store)
        ta_set_clock(s, T0)
        let t = try service(s, actor: nil, scopes: "tickets:read")
        XCTAssertTrue(t.secret.hasPrefix("tkas_"), t.secret)
        // The prefix is now fixed: "acme" is a conflict.
        assertFails(openRaw(.str(path), prefix: "acme").status, TA_CONFLICT)
    }

    func testPrefixValidation() throws {
        for bad: CArg in ["", "a", "abcdefghi", "Acme", "ac1", "ac_", "ac-me", "ac me", "äbc", .bytes(invalidUTF8), .str(oneMiB)] {
            let (st, store) = openRaw(.str(tempPath()), prefix: bad)
            assertFails(st, TA_INVALID_ARGUMENT, "prefix \(bad)")
            XCTAssertNil(store)
        }
        for good in ["ab", "abcdefgh", "zz"] {
            let s = try openStore(prefix: good)
            let t = try service(s, actor: nil, scopes: "tickets:read")
            XCTAssertTrue(t.secret.hasPrefix(good + "s_"), t.secret)
            XCTAssertEqual(t.secret.count, good.count + 40)
            assertVerdict(verify(s, t.secret, "tickets:read"), TA_OK)
        }
    }

    /// A file that is not a SQLite database at all is TA_STORAGE_ERROR ("not a database file").
    /// (A SQLite database of another application is TA_CONFLICT; see the next test.)
    func testGarbageFileIsStorageError() throws {
        let path = tempPath()
        var bytes = [UInt8](repeating: 0, count: 16384)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 131 &+ 7) }
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let (st, store) = openRaw(.str(path))
        assertFails(st, TA_STORAGE_ERROR)
        XCTAssertNil(store)
        // The file is left alone.
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data(bytes))
    }

    func testTextFileIsStorageError() throws {
        let path = tempPath()
        let text = String(repeating: "this is not a database\n", count: 200)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        assertFails(openRaw(.str(path)).status, TA_STORAGE_ERROR)
    }

    /// "TA_CONFLICT … open a database that is not a libtokenauth database".
    func testForeignSQLiteDatabaseIsConflict() throws {
        let path = tempPath()
        let data = try XCTUnwrap(Data(base64Encoded: Self.foreignSQLiteBase64))
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: data))
        let (st, store) = openRaw(.str(path))
        assertFails(st, TA_CONFLICT)
        XCTAssertNil(store)
    }

    func testEmptyFileBecomesAStore() throws {
        let path = tempPath()
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        let s = try openStore(path: path)
        let t = try service(s, actor: nil, scopes: "tickets:read")
        assertVerdict(verify(s, t.secret), TA_OK)
    }

    func testMissingDirectoryIsStorageError() {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("no-such-dir-\(UUID().uuidString)/x.db").path
        assertFails(openRaw(.str(path)).status, TA_STORAGE_ERROR)
    }

    func testMemoryStoreWorksAndIsPrivate() throws {
        let (st1, a) = openRaw(":memory:")
        assertStatus(st1, TA_OK)
        let (st2, b) = openRaw(":memory:")
        assertStatus(st2, TA_OK)
        let s1 = try XCTUnwrap(a), s2 = try XCTUnwrap(b)
        ta_set_clock(s1, T0)
        ta_set_clock(s2, T0)
        putMember(s1, "alice", "tickets:read ManagePersonalAccessTokens")
        let t = try create(s1, actor: "alice", scopes: "tickets:read")
        assertVerdict(verify(s1, t.secret, "tickets:read"), TA_OK)
        assertVerdict(verify(s2, t.secret), TA_UNKNOWN_TOKEN)
        XCTAssertEqual(try memberList(s2).count, 0)
        XCTAssertEqual(try tokenList(s2).count, 0)
        XCTAssertEqual(try tokenList(s1).count, 1)
        assertStatus(ta_flush(s1), TA_OK)
        XCTAssertEqual(int64(try stats(s1, t.id)["use_count"]), 1)
    }

    func testNullConfigDefaults() throws {
        let (st, store) = openRaw(":memory:", nullConfig: true)
        assertStatus(st, TA_OK)
        let s = try XCTUnwrap(store)
        ta_set_clock(s, T0)
        let t = try service(s, actor: nil, scopes: "tickets:read")
        XCTAssertTrue(t.secret.hasPrefix("tkas_"))
        let j = try tokenGet(s, t.id)
        XCTAssertTrue(isNull(j, "rate_limit"), "default rate limit must be unlimited (null)")
        for _ in 0..<50 { assertVerdict(verify(s, t.secret), TA_OK) }
    }

    func testCloseAndFreeNullAreNoOps() {
        ta_close(nil)
        ta_free(nil)
        ta_set_clock(nil, T0)
        ta_set_clock(nil, 0)
    }

    func testFlush() throws {
        let s = try seededStore()
        assertStatus(ta_flush(s), TA_OK)
        XCTAssertEqual(lastError(), "")
        assertFails(ta_flush(nil), TA_INVALID_ARGUMENT)
    }

    func testWallClockAfterSetClockZero() throws {
        let s = try seededStore()
        ta_set_clock(s, 0)  // back to the wall clock
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let t = try service(s, actor: nil, scopes: "tickets:read")
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        let created = try XCTUnwrap(int64(try tokenGet(s, t.id)["created_at"]))
        XCTAssertGreaterThanOrEqual(created, before - 1000)
        XCTAssertLessThanOrEqual(created, after + 1000)
    }
}
