/// The database schema, versioned by `PRAGMA user_version`; `PRAGMA application_id` marks the file as
/// a libtokenauth database so that another application's SQLite file is never taken over.
enum SQLiteSchema {
    /// 'TAK1' — tells libtokenauth databases apart from any other SQLite file.
    static let applicationID: Int64 = 0x5441_4B31
    static let currentVersion: Int64 = 6

    /// Migration n brings a database from user_version n-1 to n. Append; never edit a shipped one.
    /// Every index costs a page write on each token creation: tokens have only the lookups the
    /// hot path and the management calls need (the digest key is the rowid, the id is unique);
    /// listing filters in memory.
    static let migrations: [String] = [
        """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE scopes(
            name TEXT PRIMARY KEY,
            implies TEXT NOT NULL DEFAULT '',
            description TEXT
        ) WITHOUT ROWID;
        CREATE TABLE members(
            id TEXT PRIMARY KEY,
            active INTEGER NOT NULL,
            permissions TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE tokens(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            digest BLOB NOT NULL UNIQUE,
            hint TEXT NOT NULL,
            name TEXT NOT NULL,
            kind INTEGER NOT NULL,
            owner TEXT,
            owner_removed INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL,
            scopes TEXT NOT NULL,
            expanded TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            active INTEGER NOT NULL,
            revoke_at INTEGER,
            rate_limit INTEGER NOT NULL,
            rate_window_ms INTEGER NOT NULL,
            rotated_from TEXT,
            rotated_to TEXT,
            use_count INTEGER NOT NULL DEFAULT 0,
            denied_count INTEGER NOT NULL DEFAULT 0,
            last_used_at INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE usage_daily(
            token_id TEXT NOT NULL,
            day INTEGER NOT NULL,
            uses INTEGER NOT NULL DEFAULT 0,
            denied INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY(token_id, day)
        ) WITHOUT ROWID;
        CREATE TABLE usage_counts(
            token_id TEXT NOT NULL,
            day INTEGER NOT NULL,
            dimension TEXT NOT NULL,
            key TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY(token_id, dimension, day, key)
        ) WITHOUT ROWID;
        CREATE TABLE audit(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            event TEXT NOT NULL,
            actor TEXT,
            token_id TEXT,
            member_id TEXT,
            detail TEXT NOT NULL,
            agg_key TEXT,
            agg_count INTEGER,
            agg_first INTEGER,
            agg_last INTEGER
        );
        CREATE UNIQUE INDEX audit_aggregate ON audit(agg_key) WHERE agg_key IS NOT NULL;
        CREATE INDEX audit_at ON audit(at, seq);
        CREATE INDEX audit_token ON audit(token_id);
        """,
        // 2: the change log that lets every handle, in every process, invalidate exactly what a
        // commit changed in its in-memory token index (kind 1: the token with `digest`; 2: a
        // member or the catalog, which invalidates everything).
        """
        CREATE TABLE changes(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind INTEGER NOT NULL,
            digest BLOB
        );
        """,
        // 3: fewer pages written per token creation (docs/DECISIONS.md, "Storage"). AUTOINCREMENT
        // rewrote the sqlite_sequence page on every insert; plain INTEGER PRIMARY KEYs take
        // max(seq) + 1, which only differs after the newest row is deleted — never for the change
        // log (pruned from its oldest end) nor the audit (never deleted), and only in tie order for
        // tokens. audit_token is dropped: no query uses it (the audit query's optional filters
        // always scan audit_at).
        // SQLite cannot drop AUTOINCREMENT in place, so the three tables are rebuilt (rowids kept).
        """
        CREATE TABLE tokens_v3(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            digest BLOB NOT NULL UNIQUE,
            hint TEXT NOT NULL,
            name TEXT NOT NULL,
            kind INTEGER NOT NULL,
            owner TEXT,
            owner_removed INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL,
            scopes TEXT NOT NULL,
            expanded TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            active INTEGER NOT NULL,
            revoke_at INTEGER,
            rate_limit INTEGER NOT NULL,
            rate_window_ms INTEGER NOT NULL,
            rotated_from TEXT,
            rotated_to TEXT,
            use_count INTEGER NOT NULL DEFAULT 0,
            denied_count INTEGER NOT NULL DEFAULT 0,
            last_used_at INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO tokens_v3 SELECT * FROM tokens ORDER BY seq;
        DROP TABLE tokens;
        ALTER TABLE tokens_v3 RENAME TO tokens;
        CREATE TABLE audit_v3(
            seq INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            event TEXT NOT NULL,
            actor TEXT,
            token_id TEXT,
            member_id TEXT,
            detail TEXT NOT NULL,
            agg_key TEXT,
            agg_count INTEGER,
            agg_first INTEGER,
            agg_last INTEGER
        );
        INSERT INTO audit_v3 SELECT * FROM audit ORDER BY seq;
        DROP TABLE audit;
        ALTER TABLE audit_v3 RENAME TO audit;
        CREATE UNIQUE INDEX audit_aggregate ON audit(agg_key) WHERE agg_key IS NOT NULL;
        CREATE INDEX audit_at ON audit(at, seq);
        CREATE TABLE changes_v3(
            seq INTEGER PRIMARY KEY,
            kind INTEGER NOT NULL,
            digest BLOB
        );
        INSERT INTO changes_v3 SELECT * FROM changes ORDER BY seq;
        DROP TABLE changes;
        ALTER TABLE changes_v3 RENAME TO changes;
        """,
        // 4: a token's row is found by its digest in one B-tree (the first verification of a token
        // reads half the pages). The rowid, `digest_key`, is the digest's first 8 bytes as a
        // big-endian signed integer; the UNIQUE index on the whole digest is dropped (the lookup
        // compares the whole digest in memory). `seq` stays the creation order that breaks ties of
        // created_at in listings, now a plain column. Rows are copied in key order, so pages are full.
        """
        CREATE TABLE tokens_v4(
            digest_key INTEGER PRIMARY KEY,
            seq INTEGER NOT NULL,
            id TEXT NOT NULL UNIQUE,
            digest BLOB NOT NULL,
            hint TEXT NOT NULL,
            name TEXT NOT NULL,
            kind INTEGER NOT NULL,
            owner TEXT,
            owner_removed INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL,
            scopes TEXT NOT NULL,
            expanded TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            active INTEGER NOT NULL,
            revoke_at INTEGER,
            rate_limit INTEGER NOT NULL,
            rate_window_ms INTEGER NOT NULL,
            rotated_from TEXT,
            rotated_to TEXT,
            use_count INTEGER NOT NULL DEFAULT 0,
            denied_count INTEGER NOT NULL DEFAULT 0,
            last_used_at INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO tokens_v4
            SELECT \(digestKey(ofHex: "h")), seq, id, digest, hint, name, kind, owner, owner_removed, created_by,
                scopes, expanded, created_at, expires_at, active, revoke_at, rate_limit, rate_window_ms, rotated_from,
                rotated_to, use_count, denied_count, last_used_at
            FROM (SELECT hex(digest) AS h, * FROM tokens) ORDER BY 1;
        DROP TABLE tokens;
        ALTER TABLE tokens_v4 RENAME TO tokens;
        """,
        // 5: revocation is a state, never a time compared with a verifying host's clock. `revoked`
        // is set by ta_token_revoke, a rotation without grace and the owner's removal; `revoke_at`
        // stays the recorded time, or (revoked = 0) the end of a rotation's grace period, which a
        // handle records as a revocation once its clock has passed it. Existing tokens are revoked
        // by what the audit log says happened to them, not by comparing times; the graces left
        // are ended by the first handle that opens the file. The partial index holds only pending
        // graces: token creation writes no entry in it.
        """
        ALTER TABLE tokens ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;
        UPDATE tokens SET revoked = 1 WHERE owner_removed = 1
            OR id IN (SELECT token_id FROM audit WHERE event = 'token.revoked' AND token_id IS NOT NULL)
            OR id IN (SELECT token_id FROM audit WHERE event = 'token.rotated' AND token_id IS NOT NULL
                      AND CASE WHEN json_valid(detail) THEN json_extract(detail, '$.grace_ms') END = 0);
        CREATE INDEX tokens_grace ON tokens(revoke_at) WHERE revoked = 0 AND revoke_at IS NOT NULL;
        """,
        // 6: a member's own tokens a page at a time (ta_token_page for a member who sees only its
        // own, or owner=): without it, a page walks the whole id index of a million tokens (2.5 s).
        // Partial: service tokens (owner NULL) write no entry in it.
        """
        CREATE INDEX tokens_owner ON tokens(owner, id) WHERE owner IS NOT NULL;
        """,
    ]

    /// SQL for the digest key (`SQLiteAccess.digestKey`) of the digest whose upper-case hex text is in
    /// column `hex`: SQLite before 3.41 has no `unhex`, so each of the first 8 bytes is read from two
    /// hex digits; the first byte carries the sign, so the sum never overflows.
    private static func digestKey(ofHex hex: String) -> String {
        func digit(_ position: Int) -> String { "(instr('0123456789ABCDEF', substr(\(hex), \(position), 1)) - 1)" }
        func byte(_ index: Int) -> String { "(\(digit(2 * index + 1)) * 16 + \(digit(2 * index + 2)))" }
        let first = "(\(byte(0)) - 256 * (\(byte(0)) >= 128)) * \(Int64(1) << 56)"
        let rest = (1..<8).map { "\(byte($0)) * \(Int64(1) << (8 * (7 - $0)))" }
        return ([first] + rest).joined(separator: " + ")
    }
}
