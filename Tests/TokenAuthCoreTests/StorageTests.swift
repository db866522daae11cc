import XCTest
@testable import TokenAuthCore

/// The SQLite storage: schema migrations of databases written by older versions, and the upkeep of
/// the change log.
final class StorageTests: DatabaseTestCase {
    /// What an older library left on disk: schema `version`, the standard catalog, and one service
    /// token with its audit entry (and its change-log row from version 2 on). Returns the secret.
    private func makeDatabase(version: Int, tokenID: String) throws -> [UInt8] {
        let db = try SQLiteConnection(path: path, uri: false, busyTimeoutMS: 1000)
        defer { db.close() }
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("PRAGMA application_id=\(SQLiteSchema.applicationID)")
        for migration in SQLiteSchema.migrations.prefix(version) { try db.execute(migration) }
        try db.execute("PRAGMA user_version=\(version)")
        try db.execute("INSERT INTO meta(key, value) VALUES('token_prefix', 'tka'), ('catalog_version', '1')")
        for (name, definition) in ScopeCatalog.standard.definitions {
            try db.statement("INSERT INTO scopes(name, implies) VALUES(?1, ?2)")
                .run([.text(name), .text(definition.implies.joined(separator: " "))])
        }
        let random = try XCTUnwrap(TokenFormat.randomBase62(count: TokenFormat.randomLength))
        let secret = TokenFormat(prefix: "tka").secret(kind: .service, random: random[...])
        let digest = try XCTUnwrap(Crypto.sha256(secret))
        // From version 4 on, the rowid is the digest key and `seq` a plain column.
        let keyed = version >= 4 ? ("digest_key, seq, ", "?3, 1, ") : ("", "")
        try db.statement("""
            INSERT INTO tokens(\(keyed.0)id, digest, hint, name, kind, created_by, scopes, expanded, created_at, expires_at,
                active, rate_limit, rate_window_ms) VALUES(\(keyed.1)?1, ?2, 'tka_s_', 'old', 2, 'system', 'tickets:read',
                'tickets:read', 1000, 0, 1, 0, 0)
            """).run([.text(tokenID), .blob(digest)] + (version >= 4 ? [.int(digest.withUnsafeBytes(SQLiteAccess.digestKey))] : []))
        try db.statement("INSERT INTO audit(at, event, actor, token_id, detail) VALUES(1000, 'token.created', 'system', ?1, '{}')")
            .run([.text(tokenID)])
        if version >= 2 { try db.statement("INSERT INTO changes(kind, digest) VALUES(1, ?1)").run([.blob(digest)]) }
        return secret
    }

    private func query(_ sql: String) throws -> [String] {
        let db = try SQLiteConnection(path: path, uri: false, busyTimeoutMS: 1000)
        defer { db.close() }
        var values: [String] = []
        try db.statement(sql).run([]) { values.append($0.text(0)) }
        return values
    }

    func testVersion1To3DatabasesAreMigratedKeepingEveryRow() throws {
        for version in 1...3 {
            removeDatabaseFiles()
            let oldID = "tok_OldRandomId0000\(version)"
            let secret = try makeDatabase(version: version, tokenID: oldID)
            let store = try TokenStore.open(path: path)
            XCTAssertEqual(secret.withUnsafeBytes { store.verify(credential: $0, requiredScopes: nil) }.status, .ok)
            let issued = try store.createToken(actor: nil, spec: TokenSpec(name: "new", kind: .service, scopes: "tickets:read"))
            XCTAssertEqual(try store.backend.read { try $0.token(id: oldID)?.name }, "old")
            store.close()

            XCTAssertEqual(try query("PRAGMA user_version"), ["\(SQLiteSchema.currentVersion)"])
            XCTAssertEqual(try query("SELECT id FROM tokens ORDER BY seq"), [oldID, issued.id])
            XCTAssertEqual(try query("SELECT seq || ' ' || coalesce(token_id, '') FROM audit ORDER BY seq"),
                           ["1 \(oldID)", "2 \(issued.id)"])
            XCTAssertEqual(try query("SELECT count(*) FROM changes"), [version >= 2 ? "2" : "1"])
            XCTAssertEqual(try query("SELECT name FROM sqlite_sequence"), [], "no AUTOINCREMENT table is left")
            XCTAssertEqual(try query("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"),
                           ["audit_aggregate", "audit_at", "tokens_grace", "tokens_owner"])
            XCTAssertEqual(try query("PRAGMA page_size"), ["4096"], "an existing database keeps its page size")
        }
    }

    /// A page of one member's tokens (ta_token_page for a member who sees only its own) descends the
    /// owner index from the cursor; without it SQLite walks every token's id (2.5 s at a million).
    func testAPageOfOneOwnersTokensUsesTheOwnerIndex() throws {
        try TokenStore.open(path: path).close()
        let page = KeysetPage(columns: "id", before: "tok_0000000000000000", kind: .personal, owner: "alice", limit: 50,
                              placeholder: { "?\($0)" })
        let db = try SQLiteConnection(path: path, uri: false, busyTimeoutMS: 1000)
        defer { db.close() }
        var plan: [String] = []
        try db.statement("EXPLAIN QUERY PLAN " + page.sql).run([]) { plan.append($0.text(3)) }
        XCTAssertEqual(plan, ["SEARCH tokens USING INDEX tokens_owner (owner=? AND id<?)"])
    }

    /// Migration 4 computes each token's digest key in SQL; it must equal the key the library looks
    /// tokens up by, for every first byte (the sign) and at the edges of the range.
    func testTheMigratedDigestKeyIsTheLookupKey() throws {
        _ = try makeDatabase(version: 3, tokenID: "tok_OldRandomId00003")
        var digests: [[UInt8]] = [[UInt8](repeating: 0, count: 32), [UInt8](repeating: 0xFF, count: 32),
                                  [0x7F] + [UInt8](repeating: 0xFF, count: 31), [0x80] + [UInt8](repeating: 0, count: 31)]
        for first in 0...255 { digests.append([UInt8(first)] + (1..<32).map { _ in UInt8.random(in: 0...255) }) }
        let db = try SQLiteConnection(path: path, uri: false, busyTimeoutMS: 1000)
        for (index, digest) in digests.enumerated() {
            try db.statement("""
                INSERT INTO tokens(id, digest, hint, name, kind, created_by, scopes, expanded, created_at, expires_at,
                    active, rate_limit, rate_window_ms) VALUES(?1, ?2, 'tka_s_', 'edge', 2, 'system', 'tickets:read',
                    'tickets:read', 1000, 0, 1, 0, 0)
                """).run([.text("tok_Edge\(index)"), .blob(digest)])
        }
        db.close()
        try TokenStore.open(path: path).close()

        let migrated = try SQLiteConnection(path: path, uri: false, busyTimeoutMS: 1000)
        defer { migrated.close() }
        var checked = 0
        try migrated.statement("SELECT digest_key, digest FROM tokens").run([]) { row in
            XCTAssertEqual(row.int(0), row.blob(1).withUnsafeBytes(SQLiteAccess.digestKey))
            checked += 1
        }
        XCTAssertEqual(checked, digests.count + 1)
    }

    /// Migration 5 makes revocation a state from what the audit log says happened to each token,
    /// whatever the recorded times are: a revoke recorded by a host whose clock ran a year ahead is a
    /// revocation now; a rotation's grace period still running stays a time.
    func testVersion4TokensAreRevokedByTheirHistoryNotByTheirTimes() throws {
        _ = try makeDatabase(version: 4, tokenID: "tok_Plain")
        let db = try SQLiteConnection(path: path, uri: false, busyTimeoutMS: 1000)
        let future: Int64 = 4_102_444_800_000 // 2100-01-01: later than any clock reading here
        let rows: [(id: String, revokeAt: Int64?, ownerRemoved: Int64, event: String?, detail: String)] = [
            ("tok_Revoked", future, 0, "token.revoked", #"{"reason":"revoked"}"#),
            ("tok_RotatedNow", future, 0, "token.rotated", #"{"rotated_to":"tok_X","grace_ms":0,"revokes_at":1}"#),
            ("tok_InGrace", future, 0, "token.rotated", #"{"rotated_to":"tok_Y","grace_ms":600000,"revokes_at":1}"#),
            ("tok_Removed", 1000, 1, nil, "{}"),
            ("tok_BadDetail", future, 0, "token.rotated", "not json"),
        ]
        for (index, row) in rows.enumerated() {
            try db.statement("""
                INSERT INTO tokens(digest_key, seq, id, digest, hint, name, kind, owner, owner_removed, created_by, scopes,
                    expanded, created_at, expires_at, active, revoke_at, rate_limit, rate_window_ms)
                VALUES(?1, ?1, ?2, zeroblob(32), 'tka_p_', 'old', 1, 'alice', ?3, 'alice', 'tickets:read', 'tickets:read',
                    1000, 0, 1, ?4, 0, 0)
                """).run([.int(Int64(index) + 100), .text(row.id), .int(row.ownerRemoved), row.revokeAt.map(SQLValue.int) ?? .null])
            if let event = row.event {
                try db.statement("INSERT INTO audit(at, event, actor, token_id, detail) VALUES(2000, ?1, 'alice', ?2, ?3)")
                    .run([.text(event), .text(row.id), .text(row.detail)])
            }
        }
        db.close()
        try TokenStore.open(path: path).close()
        XCTAssertEqual(try query("SELECT id || ' ' || revoked FROM tokens ORDER BY id"), [
            "tok_BadDetail 0", "tok_InGrace 0", "tok_Plain 0", "tok_Removed 1", "tok_Revoked 1", "tok_RotatedNow 1",
        ])
    }

    func testNewDatabasesHaveSmallPagesInWALMode() throws {
        let store = try TokenStore.open(path: path)
        store.close()
        XCTAssertEqual(try query("PRAGMA page_size"), ["\(SQLiteBackend.newDatabasePageSize)"])
        XCTAssertEqual(try query("PRAGMA journal_mode"), ["wal"])
    }

    func testTheChangeLogIsPrunedInBatchesAndKeepsAtLeastItsWindow() throws {
        let store = try TokenStore.open(path: path)
        defer { store.close() }
        let kept = SQLiteAccess.changesKept, batch = SQLiteAccess.pruneEvery
        for index in 0..<(kept + 2 * batch) {
            _ = try store.createToken(actor: nil, spec: TokenSpec(name: "t\(index)", kind: .service, scopes: "tickets:read"))
        }
        let (oldest, latest) = try store.backend.read { reader -> (Int64, Int64) in
            let all = try reader.changes(after: 0)
            return (all.oldestKept, all.latest)
        }
        XCTAssertGreaterThanOrEqual(latest - oldest + 1, kept)
        XCTAssertLessThan(latest - oldest + 1, kept + batch)
        let recent = try store.backend.read { try $0.changes(after: latest - kept) }
        XCTAssertFalse(recent.everything, "the last changesKept changes are all still there")
        XCTAssertEqual(recent.tokens.count, Int(kept))
        XCTAssertTrue(try store.backend.read { try $0.changes(after: 1) }.everything, "pruned: too far behind")
    }
}
