/// Reads and writes of the domain records over one SQLite connection, inside a transaction that the
/// backend opened. One instance per transaction; never shared between threads.
struct SQLiteAccess: StorageWriter {
    let db: SQLiteConnection

    private func rows<T>(_ sql: String, _ values: [SQLValue] = [], _ make: (Row) throws -> T) throws -> [T] {
        var result: [T] = []
        try db.statement(sql).run(values) { result.append(try make($0)) }
        return result
    }

    private func run(_ sql: String, _ values: [SQLValue]) throws {
        try db.statement(sql).run(values)
    }

    // MARK: catalog and members

    func catalog() throws -> ScopeCatalog {
        var definitions: [String: ScopeDefinition] = [:]
        try db.statement("SELECT name, implies, description FROM scopes").run([]) { row in
            definitions[row.text(0)] = ScopeDefinition(implies: words(row.text(1)), description: row.optionalText(2))
        }
        return ScopeCatalog(definitions: definitions)
    }

    func catalogVersion() throws -> Int64 {
        try rows("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'catalog_version'") { $0.int(0) }.first ?? 0
    }

    func putScope(_ name: String, _ definition: ScopeDefinition) throws {
        try run("""
            INSERT INTO scopes(name, implies, description) VALUES(?1, ?2, ?3)
            ON CONFLICT(name) DO UPDATE SET implies = excluded.implies, description = excluded.description
            """, [.text(name), .text(definition.implies.joined(separator: " ")), definition.description.map(SQLValue.text) ?? .null])
        try run("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'catalog_version'", [])
        try logChange(.everything)
    }

    // MARK: the change log

    /// How many change rows are kept at least; a handle further behind than this drops its whole index.
    static let changesKept: Int64 = 10_000
    /// The log is pruned when the sequence number is a multiple of this: it then holds up to
    /// `changesKept + pruneEvery - 1` rows, and the page of its oldest rows is rewritten once per
    /// `pruneEvery` changes instead of on every commit (one WAL frame less per token creation).
    static let pruneEvery: Int64 = 64

    private func logChange(_ change: ChangeKind, tokenID: String? = nil, digest: [UInt8]? = nil) throws {
        if let tokenID {
            try run("INSERT INTO changes(kind, digest) SELECT 1, digest FROM tokens WHERE id = ?1", [.text(tokenID)])
        } else {
            try run("INSERT INTO changes(kind, digest) VALUES(?1, ?2)",
                    [.int(change.rawValue), digest.map(SQLValue.blob) ?? .null])
        }
        guard db.changes > 0 else { return }
        let seq = db.lastInsertRowID
        if seq % Self.pruneEvery == 0 {
            try run("DELETE FROM changes WHERE seq <= ?1", [.int(seq - Self.changesKept)])
        }
    }

    func latestChange() throws -> Int64 {
        try rows("SELECT coalesce(max(seq), 0) FROM changes") { $0.int(0) }.first ?? 0
    }

    func changes(after seq: Int64) throws -> ChangeBatch {
        var batch = ChangeBatch(oldestKept: 0, latest: seq, tokens: [], everything: false)
        try db.statement("SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM changes").run([]) { row in
            batch.oldestKept = row.int(0)
            batch.latest = max(seq, row.int(1))
        }
        // Rows after `seq` were pruned: the caller is too far behind to know what changed.
        if batch.oldestKept > 0, seq < batch.oldestKept - 1 { batch.everything = true }
        try db.statement("SELECT kind, digest FROM changes WHERE seq > ?1").run([.int(seq)]) { row in
            if row.int(0) == ChangeKind.token.rawValue { batch.tokens.append(row.blob(1)) } else { batch.everything = true }
        }
        return batch
    }

    func member(_ id: String) throws -> Member? {
        try rows("SELECT id, active, permissions FROM members WHERE id = ?1", [.text(id)], Self.member).first
    }

    func members() throws -> [Member] {
        try rows("SELECT id, active, permissions FROM members ORDER BY id", [], Self.member)
    }

    private static func member(_ row: Row) -> Member {
        Member(id: row.text(0), active: row.bool(1), permissions: words(row.text(2)))
    }

    func putMember(_ member: Member) throws {
        try logChange(.everything)
        try run("""
            INSERT INTO members(id, active, permissions) VALUES(?1, ?2, ?3)
            ON CONFLICT(id) DO UPDATE SET active = excluded.active, permissions = excluded.permissions
            """, [.text(member.id), .int(member.active ? 1 : 0), .text(member.permissions.joined(separator: " "))])
    }

    func deleteMember(_ id: String) throws {
        try logChange(.everything)
        try run("DELETE FROM members WHERE id = ?1", [.text(id)])
    }

    func disownPersonalTokens(owner: String, at now: Int64) throws -> Int {
        try run("""
            UPDATE tokens SET owner_removed = 1, revoked = 1, revoke_at = min(coalesce(revoke_at, ?2), ?2)
            WHERE owner = ?1 AND kind = 1 AND owner_removed = 0
            """, [.text(owner), .int(now)])
        return db.changes
    }

    // MARK: tokens

    private static let tokenColumns = """
        id, name, kind, owner, owner_removed, created_by, scopes, expanded, created_at, expires_at, active,
        revoke_at, rate_limit, rate_window_ms, rotated_from, rotated_to, hint, use_count, denied_count, last_used_at,
        revoked
        """

    private static func token(_ row: Row) throws -> TokenRecord {
        guard let kind = TokenKind(rawValue: Int32(truncatingIfNeeded: row.int(2))) else {
            throw TokenAuthError.internal("stored token has an unknown kind")
        }
        let limit = UInt32(clamping: row.int(12))
        return TokenRecord(
            id: row.text(0), name: row.text(1), kind: kind, owner: row.optionalText(3), ownerRemoved: row.bool(4),
            createdBy: row.text(5), scopes: words(row.text(6)), expandedScopes: words(row.text(7)),
            createdAt: row.int(8), expiresAt: row.int(9), active: row.bool(10), revoked: row.bool(20),
            revokeAt: row.optionalInt(11),
            rateLimit: limit == 0 ? nil : RateLimit(limit: limit, windowMS: UInt32(clamping: row.int(13))),
            rotatedFrom: row.optionalText(14), rotatedTo: row.optionalText(15), hint: row.text(16),
            useCount: row.int(17), deniedCount: row.int(18), lastUsedAt: row.int(19))
    }

    func token(id: String) throws -> TokenRecord? {
        try rows("SELECT \(Self.tokenColumns) FROM tokens WHERE id = ?1", [.text(id)], Self.token).first
    }

    func tokens() throws -> [TokenRecord] {
        try rows("SELECT \(Self.tokenColumns) FROM tokens ORDER BY created_at DESC, seq DESC", [], Self.token)
    }

    func tokens(before: String?, kind: TokenKind?, owner: String?, limit: Int) throws -> [TokenRecord] {
        let page = KeysetPage(columns: Self.tokenColumns, before: before, kind: kind, owner: owner, limit: limit,
                              placeholder: { "?\($0)" })
        return try rows(page.sql, page.values(text: SQLValue.text, int: SQLValue.int), Self.token)
    }

    func tokenDigest(id: String) throws -> [UInt8]? {
        try rows("SELECT digest FROM tokens WHERE id = ?1", [.text(id)]) { $0.blob(0) }.first
    }

    func tokenCount() throws -> Int {
        try rows("SELECT count(*) FROM tokens") { Int($0.int(0)) }.first ?? 0
    }

    /// The rowid of the token whose digest starts with `digest`'s first 8 bytes (big-endian, signed):
    /// digests are uniformly random, so these keys are unique in practice (a second token with the
    /// same key fails to be created, like one with an existing id), and the lookup then compares the
    /// whole digest.
    static func digestKey(_ digest: UnsafeRawBufferPointer) -> Int64 {
        guard digest.count >= 8 else { return 0 }
        return Int64(bitPattern: UInt64(bigEndian: digest.loadUnaligned(as: UInt64.self)))
    }

    func forEachDigest(_ body: (UnsafeRawBufferPointer) -> Void) throws {
        try db.statement("SELECT digest FROM tokens").run([]) { $0.withBlob(0, body) }
    }

    /// `seq`, the creation order, is the sequence number the token's `token.created` audit entry
    /// (written next, in the same transaction) takes; the audit is never deleted, so it only grows.
    func insertToken(_ token: TokenRecord, digest: [UInt8]) throws {
        try run("""
            INSERT INTO tokens(digest_key, seq, id, digest, hint, name, kind, owner, owner_removed, created_by, scopes,
                expanded, created_at, expires_at, active, revoke_at, rate_limit, rate_window_ms, rotated_from, rotated_to)
            VALUES(?18, (SELECT coalesce(max(seq), 0) + 1 FROM audit),
                ?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
            """, [
                .text(token.id), .blob(digest), .text(token.hint), .text(token.name), .int(Int64(token.kind.rawValue)),
                token.owner.map(SQLValue.text) ?? .null, .text(token.createdBy),
                .text(token.scopes.joined(separator: " ")), .text(token.expandedScopes.joined(separator: " ")),
                .int(token.createdAt), .int(token.expiresAt), .int(token.active ? 1 : 0),
                token.revokeAt.map(SQLValue.int) ?? .null,
                .int(Int64(token.rateLimit?.limit ?? 0)), .int(Int64(token.rateLimit?.windowMS ?? 0)),
                token.rotatedFrom.map(SQLValue.text) ?? .null, token.rotatedTo.map(SQLValue.text) ?? .null,
                .int(digest.withUnsafeBytes(Self.digestKey)),
            ])
        try logChange(.token, digest: digest)
    }

    func updateToken(_ token: TokenRecord) throws {
        try logChange(.token, tokenID: token.id)
        try run("UPDATE tokens SET name = ?2, active = ?3, revoke_at = ?4, rotated_to = ?5, revoked = ?6 WHERE id = ?1", [
            .text(token.id), .text(token.name), .int(token.active ? 1 : 0),
            token.revokeAt.map(SQLValue.int) ?? .null, token.rotatedTo.map(SQLValue.text) ?? .null,
            .int(token.revoked ? 1 : 0),
        ])
    }

    func earliestGraceEnd() throws -> Int64? {
        try rows("SELECT min(revoke_at) FROM tokens WHERE revoked = 0 AND revoke_at IS NOT NULL") { $0.optionalInt(0) }.first ?? nil
    }

    func endGraces(dueBy now: Int64) throws -> Int {
        let due = try rows("SELECT id FROM tokens WHERE revoked = 0 AND revoke_at IS NOT NULL AND revoke_at <= ?1",
                           [.int(now)]) { $0.text(0) }
        for id in due {
            try logChange(.token, tokenID: id)
            try run("UPDATE tokens SET revoked = 1 WHERE id = ?1", [.text(id)])
        }
        return due.count
    }

    func deleteToken(id: String) throws {
        try logChange(.token, tokenID: id)
        try run("DELETE FROM tokens WHERE id = ?1", [.text(id)])
        try run("DELETE FROM usage_daily WHERE token_id = ?1", [.text(id)])
        try run("DELETE FROM usage_counts WHERE token_id = ?1", [.text(id)])
    }

    // MARK: usage

    /// The usage tables are keyed by token id and written in the batch's (id) order. A token's own
    /// counters are left to `applyCounters`: its row is keyed by its digest (random with respect to
    /// ids), so the caller applies them in that key order, and each page of the table is read and
    /// dirtied once per flush rather than once per token. A token deleted meanwhile is skipped.
    func applyUsage(_ batch: [UsageRow]) throws -> [CounterUpdate] {
        var counters: [CounterUpdate] = []
        counters.reserveCapacity(batch.count)
        for row in batch {
            var rowKey: Int64?
            try db.statement("SELECT digest_key FROM tokens WHERE id = ?1").run([.text(row.tokenID)]) { rowKey = $0.int(0) }
            guard let rowKey else { continue }
            try applyUsageCounts(row)
            counters.append(CounterUpdate(rowKey: rowKey, tokenID: row.tokenID, usage: row.usage.counters))
        }
        return counters
    }

    func applyCounters(_ updates: ArraySlice<CounterUpdate>) throws {
        for update in updates {
            try run("""
                UPDATE tokens SET use_count = use_count + ?2, denied_count = denied_count + ?3,
                    last_used_at = CASE WHEN ?4 > 0 THEN max(last_used_at, ?4, created_at) ELSE last_used_at END
                WHERE digest_key = ?1 AND id = ?5
                """, [.int(update.rowKey), .int(update.usage.uses), .int(update.usage.denied), .int(update.usage.lastUsedAt),
                      .text(update.tokenID)])
        }
    }

    private func applyUsageCounts(_ row: UsageRow) throws {
        for (day, counts) in row.usage.days {
            try run("""
                INSERT INTO usage_daily(token_id, day, uses, denied) VALUES(?1, ?2, ?3, ?4)
                ON CONFLICT(token_id, day) DO UPDATE SET uses = uses + excluded.uses, denied = denied + excluded.denied
                """, [.text(row.tokenID), .int(day), .int(counts.uses), .int(counts.denied)])
        }
        for (key, count) in row.usage.counts {
            try run("""
                INSERT INTO usage_counts(token_id, day, dimension, key, count) VALUES(?1, ?2, ?3, ?4, ?5)
                ON CONFLICT(token_id, dimension, day, key) DO UPDATE SET count = count + excluded.count
                """, [.text(row.tokenID), .int(key.day), .text(key.dimension.rawValue), .text(key.key), .int(count)])
        }
    }

    func dailyUsage(tokenID: String, fromDay: Int64) throws -> [DailyUsage] {
        try rows("SELECT day, uses, denied FROM usage_daily WHERE token_id = ?1 AND day >= ?2 ORDER BY day",
                 [.text(tokenID), .int(fromDay)]) { DailyUsage(day: $0.int(0), uses: $0.int(1), denied: $0.int(2)) }
    }

    func usageCounts(tokenID: String, dimension: UsageDimension, fromDay: Int64) throws -> [(key: String, count: Int64)] {
        try rows("""
            SELECT key, sum(count) FROM usage_counts WHERE token_id = ?1 AND dimension = ?2 AND day >= ?3
            GROUP BY key ORDER BY key
            """, [.text(tokenID), .text(dimension.rawValue), .int(fromDay)]) { (key: $0.text(0), count: $0.int(1)) }
    }

    // MARK: audit

    func appendAudit(_ record: AuditRecord) throws {
        try run("INSERT INTO audit(at, event, actor, token_id, member_id, detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                Self.values(record))
    }

    func aggregateAudit(_ record: AuditRecord, key: String, count: Int64, firstAt: Int64, lastAt: Int64) throws {
        try run("""
            INSERT INTO audit(at, event, actor, token_id, member_id, detail, agg_key, agg_count, agg_first, agg_last)
            VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            ON CONFLICT(agg_key) WHERE agg_key IS NOT NULL DO UPDATE SET agg_count = agg_count + excluded.agg_count,
                agg_first = min(agg_first, excluded.agg_first), agg_last = max(agg_last, excluded.agg_last),
                at = min(at, excluded.at)
            """, Self.values(record) + [.text(key), .int(count), .int(firstAt), .int(lastAt)])
    }

    private static func values(_ record: AuditRecord) -> [SQLValue] {
        [.int(record.at), .text(record.event), record.actor.map(SQLValue.text) ?? .null,
         record.tokenID.map(SQLValue.text) ?? .null, record.memberID.map(SQLValue.text) ?? .null,
         .text(record.detail.encoded())]
    }

    func audit(_ filter: AuditFilter) throws -> [AuditEntry] {
        try rows("""
            SELECT at, event, actor, token_id, member_id, detail, agg_count, agg_first, agg_last FROM audit
            WHERE (?1 IS NULL OR token_id = ?1) AND (?2 IS NULL OR actor = ?2) AND (?3 IS NULL OR event = ?3)
              AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at <= ?5)
            ORDER BY at DESC, seq DESC LIMIT ?6
            """, [
                filter.tokenID.map(SQLValue.text) ?? .null, filter.actor.map(SQLValue.text) ?? .null,
                filter.event.map(SQLValue.text) ?? .null, filter.since.map(SQLValue.int) ?? .null,
                filter.until.map(SQLValue.int) ?? .null, .int(filter.limit),
            ]) { row in
                var detail = row.text(5)
                if let count = row.optionalInt(6) {
                    detail = JSON.appending([("count", .int(count)), ("first_at", .int(row.int(7))),
                                             ("last_at", .int(row.int(8)))], toEncodedObject: detail)
                }
                return AuditEntry(at: row.int(0), event: row.text(1), actor: row.optionalText(2),
                                  tokenID: row.optionalText(3), memberID: row.optionalText(4), detail: detail)
            }
    }
}
