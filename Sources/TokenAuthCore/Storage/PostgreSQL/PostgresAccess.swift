/// Reads and writes of the domain records over one PostgreSQL connection, inside a transaction that
/// the backend opened: each statement of SQLiteAccess, ported. One instance per transaction; never
/// shared between threads. It remembers whether it wrote to the change log, so that the backend
/// notifies the other hosts when (and only when) verification answers may have changed.
final class PostgresAccess: StorageWriter {
    let db: PostgresConnection
    /// The sequence number of the last change-log row this transaction wrote (0: none).
    private(set) var loggedSeq: Int64 = 0
    private(set) var loggedChange = false

    init(db: PostgresConnection) {
        self.db = db
    }

    private func rows<T>(_ sql: String, _ values: [PGValue] = [], _ make: (PostgresRows, Int32) throws -> T) throws -> [T] {
        let result = try db.query(sql, values)
        var out: [T] = []
        out.reserveCapacity(Int(result.count))
        for row in 0..<result.count { out.append(try make(result, row)) }
        return out
    }

    @discardableResult
    private func run(_ sql: String, _ values: [PGValue]) throws -> Int {
        try db.query(sql, values).affected
    }

    // MARK: catalog and members

    func catalog() throws -> ScopeCatalog {
        var definitions: [String: ScopeDefinition] = [:]
        let result = try db.query("SELECT name, implies, description FROM scopes")
        for row in 0..<result.count {
            definitions[result.text(row, 0)] = ScopeDefinition(implies: words(result.text(row, 1)),
                                                                description: result.optionalText(row, 2))
        }
        return ScopeCatalog(definitions: definitions)
    }

    func catalogVersion() throws -> Int64 {
        try rows("SELECT value::bigint FROM meta WHERE key = 'catalog_version'") { $0.int($1, 0) }.first ?? 0
    }

    func putScope(_ name: String, _ definition: ScopeDefinition) throws {
        try run("""
            INSERT INTO scopes(name, implies, description) VALUES($1, $2, $3)
            ON CONFLICT(name) DO UPDATE SET implies = excluded.implies, description = excluded.description
            """, [.text(name), .text(definition.implies.joined(separator: " ")), definition.description.map(PGValue.text) ?? .null])
        try run("UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'catalog_version'", [])
        try logChange(.everything)
    }

    // MARK: the change log

    /// How many change rows are kept (as with SQLite); the backend prunes once per transaction.
    static let changesKept: Int64 = 10_000

    private func logChange(_ change: ChangeKind, tokenID: String? = nil, digest: [UInt8]? = nil) throws {
        let result: PostgresRows
        if let tokenID {
            result = try db.query("INSERT INTO changes(kind, digest) SELECT 1, digest FROM tokens WHERE id = $1 RETURNING seq",
                                  [.text(tokenID)])
        } else {
            result = try db.query("INSERT INTO changes(kind, digest) VALUES($1, $2) RETURNING seq",
                                  [.int(change.rawValue), digest.map(PGValue.bytes) ?? .null])
        }
        loggedChange = true
        if result.count > 0 { loggedSeq = max(loggedSeq, result.int(0, 0)) }
    }

    func latestChange() throws -> Int64 {
        try rows("SELECT coalesce(max(seq), 0) FROM changes") { $0.int($1, 0) }.first ?? 0
    }

    func changes(after seq: Int64) throws -> ChangeBatch {
        var batch = ChangeBatch(oldestKept: 0, latest: seq, tokens: [], everything: false)
        let bounds = try db.query("SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM changes")
        if bounds.count > 0 {
            batch.oldestKept = bounds.int(0, 0)
            batch.latest = max(seq, bounds.int(0, 1))
        }
        // Rows after `seq` were pruned: the caller is too far behind to know what changed. (A
        // sequence leaves gaps where a transaction rolled back; a gap here only costs a full drop.)
        if batch.oldestKept > 0, seq < batch.oldestKept - 1 { batch.everything = true }
        let result = try db.query("SELECT kind, digest FROM changes WHERE seq > $1", [.int(seq)])
        for row in 0..<result.count {
            if result.int(row, 0) == ChangeKind.token.rawValue { batch.tokens.append(result.bytes(row, 1)) } else { batch.everything = true }
        }
        return batch
    }

    func member(_ id: String) throws -> Member? {
        try rows("SELECT id, active, permissions FROM members WHERE id = $1", [.text(id)], Self.member).first
    }

    func members() throws -> [Member] {
        try rows("SELECT id, active, permissions FROM members ORDER BY id", [], Self.member)
    }

    private static func member(_ result: PostgresRows, _ row: Int32) -> Member {
        Member(id: result.text(row, 0), active: result.bool(row, 1), permissions: words(result.text(row, 2)))
    }

    func putMember(_ member: Member) throws {
        try logChange(.everything)
        try run("""
            INSERT INTO members(id, active, permissions) VALUES($1, $2, $3)
            ON CONFLICT(id) DO UPDATE SET active = excluded.active, permissions = excluded.permissions
            """, [.text(member.id), .bool(member.active), .text(member.permissions.joined(separator: " "))])
    }

    func deleteMember(_ id: String) throws {
        try logChange(.everything)
        try run("DELETE FROM members WHERE id = $1", [.text(id)])
    }

    func disownPersonalTokens(owner: String, at now: Int64) throws -> Int {
        try run("""
            UPDATE tokens SET owner_removed = true, revoked = true, revoke_at = least(coalesce(revoke_at, $2::bigint), $2::bigint)
            WHERE owner = $1 AND kind = 1 AND NOT owner_removed
            """, [.text(owner), .int(now)])
    }

    // MARK: tokens

    private static let tokenColumns = """
        id, name, kind, owner, owner_removed, created_by, scopes, expanded, created_at, expires_at, active,
        revoke_at, rate_limit, rate_window_ms, rotated_from, rotated_to, hint, use_count, denied_count, last_used_at,
        revoked
        """

    private static func token(_ r: PostgresRows, _ row: Int32) throws -> TokenRecord {
        guard let kind = TokenKind(rawValue: Int32(truncatingIfNeeded: r.int(row, 2))) else {
            throw TokenAuthError.internal("stored token has an unknown kind")
        }
        let limit = UInt32(clamping: r.int(row, 12))
        return TokenRecord(
            id: r.text(row, 0), name: r.text(row, 1), kind: kind, owner: r.optionalText(row, 3), ownerRemoved: r.bool(row, 4),
            createdBy: r.text(row, 5), scopes: words(r.text(row, 6)), expandedScopes: words(r.text(row, 7)),
            createdAt: r.int(row, 8), expiresAt: r.int(row, 9), active: r.bool(row, 10), revoked: r.bool(row, 20),
            revokeAt: r.optionalInt(row, 11),
            rateLimit: limit == 0 ? nil : RateLimit(limit: limit, windowMS: UInt32(clamping: r.int(row, 13))),
            rotatedFrom: r.optionalText(row, 14), rotatedTo: r.optionalText(row, 15), hint: r.text(row, 16),
            useCount: r.int(row, 17), deniedCount: r.int(row, 18), lastUsedAt: r.int(row, 19))
    }

    func token(id: String) throws -> TokenRecord? {
        try rows("SELECT \(Self.tokenColumns) FROM tokens WHERE id = $1", [.text(id)], Self.token).first
    }

    func tokens() throws -> [TokenRecord] {
        try rows("SELECT \(Self.tokenColumns) FROM tokens ORDER BY created_at DESC, seq DESC", [], Self.token)
    }

    func tokens(before: String?, kind: TokenKind?, owner: String?, limit: Int) throws -> [TokenRecord] {
        let page = KeysetPage(columns: Self.tokenColumns, before: before, kind: kind, owner: owner, limit: limit,
                              placeholder: { "$\($0)" })
        return try rows(page.sql, page.values(text: PGValue.text, int: PGValue.int), Self.token)
    }

    func tokenDigest(id: String) throws -> [UInt8]? {
        try rows("SELECT digest FROM tokens WHERE id = $1", [.text(id)]) { $0.bytes($1, 0) }.first
    }

    func tokenCount() throws -> Int {
        try rows("SELECT count(*) FROM tokens") { Int($0.int($1, 0)) }.first ?? 0
    }

    func forEachDigest(_ body: (UnsafeRawBufferPointer) -> Void) throws {
        let result = try db.query("SELECT digest FROM tokens")
        for row in 0..<result.count { result.bytes(row, 0).withUnsafeBytes(body) }
    }

    func insertToken(_ token: TokenRecord, digest: [UInt8]) throws {
        try run("""
            INSERT INTO tokens(id, digest, hint, name, kind, owner, owner_removed, created_by, scopes, expanded,
                created_at, expires_at, active, revoke_at, rate_limit, rate_window_ms, rotated_from, rotated_to)
            VALUES($1, $2, $3, $4, $5, $6, false, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
            """, [
                .text(token.id), .bytes(digest), .text(token.hint), .text(token.name), .int(Int64(token.kind.rawValue)),
                token.owner.map(PGValue.text) ?? .null, .text(token.createdBy),
                .text(token.scopes.joined(separator: " ")), .text(token.expandedScopes.joined(separator: " ")),
                .int(token.createdAt), .int(token.expiresAt), .bool(token.active),
                token.revokeAt.map(PGValue.int) ?? .null,
                .int(Int64(token.rateLimit?.limit ?? 0)), .int(Int64(token.rateLimit?.windowMS ?? 0)),
                token.rotatedFrom.map(PGValue.text) ?? .null, token.rotatedTo.map(PGValue.text) ?? .null,
            ])
        try logChange(.token, digest: digest)
    }

    func updateToken(_ token: TokenRecord) throws {
        try logChange(.token, tokenID: token.id)
        try run("UPDATE tokens SET name = $2, active = $3, revoke_at = $4, rotated_to = $5, revoked = $6 WHERE id = $1", [
            .text(token.id), .text(token.name), .bool(token.active),
            token.revokeAt.map(PGValue.int) ?? .null, token.rotatedTo.map(PGValue.text) ?? .null, .bool(token.revoked),
        ])
    }

    func earliestGraceEnd() throws -> Int64? {
        let result = try db.query("SELECT min(revoke_at) FROM tokens WHERE NOT revoked AND revoke_at IS NOT NULL")
        return result.count == 1 ? result.optionalInt(0, 0) : nil
    }

    func endGraces(dueBy now: Int64) throws -> Int {
        let due = try rows("SELECT id FROM tokens WHERE NOT revoked AND revoke_at IS NOT NULL AND revoke_at <= $1",
                           [.int(now)]) { $0.text($1, 0) }
        for id in due {
            try logChange(.token, tokenID: id)
            try run("UPDATE tokens SET revoked = true WHERE id = $1", [.text(id)])
        }
        return due.count
    }

    func deleteToken(id: String) throws {
        try logChange(.token, tokenID: id)
        try run("DELETE FROM tokens WHERE id = $1", [.text(id)])
        try run("DELETE FROM usage_daily WHERE token_id = $1", [.text(id)])
        try run("DELETE FROM usage_counts WHERE token_id = $1", [.text(id)])
    }

    // MARK: usage

    /// Each token's counters go with its other counts (rows are keyed by id here): nothing is left
    /// for `applyCounters`.
    func applyUsage(_ batch: [UsageRow]) throws -> [CounterUpdate] {
        for row in batch { try applyUsage(row.usage, tokenID: row.tokenID) }
        return []
    }

    func applyCounters(_ updates: ArraySlice<CounterUpdate>) throws {
        guard updates.isEmpty else { throw TokenAuthError(.internalError, "PostgreSQL writes counters with the usage") }
    }

    /// One round trip per token: the counters, every day and every (dimension, day, key) count go
    /// in one statement, as arrays. A token deleted meanwhile takes its usage with it (the joins on
    /// the updated row insert nothing).
    private func applyUsage(_ usage: TokenUsage, tokenID: String) throws {
        let days = usage.days.sorted { $0.key < $1.key }
        let counts = Array(usage.counts)
        try run("""
            WITH t AS (
                UPDATE tokens SET use_count = use_count + $2, denied_count = denied_count + $3,
                    last_used_at = CASE WHEN $4::bigint > 0 THEN greatest(last_used_at, $4::bigint, created_at) ELSE last_used_at END
                    WHERE id = $1 RETURNING id
            ), d AS (
                INSERT INTO usage_daily(token_id, day, uses, denied)
                SELECT t.id, u.day, u.uses, u.denied FROM t, unnest($5::bigint[], $6::bigint[], $7::bigint[]) AS u(day, uses, denied)
                ON CONFLICT(token_id, day) DO UPDATE
                    SET uses = usage_daily.uses + excluded.uses, denied = usage_daily.denied + excluded.denied
            ), c AS (
                INSERT INTO usage_counts(token_id, day, dimension, key, count)
                SELECT t.id, u.day, u.dimension, u.key, u.count
                FROM t, unnest($8::bigint[], $9::text[], $10::text[], $11::bigint[]) AS u(day, dimension, key, count)
                ON CONFLICT(token_id, dimension, day, key) DO UPDATE SET count = usage_counts.count + excluded.count
            )
            SELECT count(*) FROM t
            """, [
                .text(tokenID), .int(usage.uses), .int(usage.denied), .int(usage.lastUsedAt),
                Self.array(days.map { String($0.key) }), Self.array(days.map { String($0.value.uses) }),
                Self.array(days.map { String($0.value.denied) }),
                Self.array(counts.map { String($0.key.day) }), Self.array(counts.map { Self.quoted($0.key.dimension.rawValue) }),
                Self.array(counts.map { Self.quoted($0.key.key) }), Self.array(counts.map { String($0.value) }),
            ])
    }

    /// A PostgreSQL array literal of already formatted elements.
    private static func array(_ elements: [String]) -> PGValue {
        .text("{" + elements.joined(separator: ",") + "}")
    }

    /// An array element in double quotes: backslash and double quote escaped by a backslash
    /// (PostgreSQL, "Array Value Input").
    private static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text.unicodeScalars {
            if character == "\\" || character == "\"" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(character)
        }
        out.append("\"")
        return out
    }

    func dailyUsage(tokenID: String, fromDay: Int64) throws -> [DailyUsage] {
        try rows("SELECT day, uses, denied FROM usage_daily WHERE token_id = $1 AND day >= $2 ORDER BY day",
                 [.text(tokenID), .int(fromDay)]) { DailyUsage(day: $0.int($1, 0), uses: $0.int($1, 1), denied: $0.int($1, 2)) }
    }

    func usageCounts(tokenID: String, dimension: UsageDimension, fromDay: Int64) throws -> [(key: String, count: Int64)] {
        try rows("""
            SELECT key, sum(count) FROM usage_counts WHERE token_id = $1 AND dimension = $2 AND day >= $3
            GROUP BY key ORDER BY key
            """, [.text(tokenID), .text(dimension.rawValue), .int(fromDay)]) { (key: $0.text($1, 0), count: $0.int($1, 1)) }
    }

    // MARK: audit

    func appendAudit(_ record: AuditRecord) throws {
        try run("INSERT INTO audit(at, event, actor, token_id, member_id, detail) VALUES($1, $2, $3, $4, $5, $6)",
                Self.values(record))
    }

    func aggregateAudit(_ record: AuditRecord, key: String, count: Int64, firstAt: Int64, lastAt: Int64) throws {
        try run("""
            INSERT INTO audit(at, event, actor, token_id, member_id, detail, agg_key, agg_count, agg_first, agg_last)
            VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT(agg_key) WHERE agg_key IS NOT NULL DO UPDATE SET agg_count = audit.agg_count + excluded.agg_count,
                agg_first = least(audit.agg_first, excluded.agg_first), agg_last = greatest(audit.agg_last, excluded.agg_last),
                at = least(audit.at, excluded.at)
            """, Self.values(record) + [.text(key), .int(count), .int(firstAt), .int(lastAt)])
    }

    private static func values(_ record: AuditRecord) -> [PGValue] {
        [.int(record.at), .text(record.event), record.actor.map(PGValue.text) ?? .null,
         record.tokenID.map(PGValue.text) ?? .null, record.memberID.map(PGValue.text) ?? .null,
         .text(record.detail.encoded())]
    }

    func audit(_ filter: AuditFilter) throws -> [AuditEntry] {
        try rows("""
            SELECT at, event, actor, token_id, member_id, detail, agg_count, agg_first, agg_last FROM audit
            WHERE ($1::text IS NULL OR token_id = $1) AND ($2::text IS NULL OR actor = $2)
              AND ($3::text IS NULL OR event = $3)
              AND ($4::bigint IS NULL OR at >= $4) AND ($5::bigint IS NULL OR at <= $5)
            ORDER BY at DESC, seq DESC LIMIT $6
            """, [
                filter.tokenID.map(PGValue.text) ?? .null, filter.actor.map(PGValue.text) ?? .null,
                filter.event.map(PGValue.text) ?? .null, filter.since.map(PGValue.int) ?? .null,
                filter.until.map(PGValue.int) ?? .null, .int(filter.limit),
            ]) { r, row in
                var detail = r.text(row, 5)
                if let count = r.optionalInt(row, 6) {
                    detail = JSON.appending([("count", .int(count)), ("first_at", .int(r.int(row, 7))),
                                             ("last_at", .int(r.int(row, 8)))], toEncodedObject: detail)
                }
                return AuditEntry(at: r.int(row, 0), event: r.text(row, 1), actor: r.optionalText(row, 2),
                                  tokenID: r.optionalText(row, 3), memberID: r.optionalText(row, 4), detail: detail)
            }
    }
}
