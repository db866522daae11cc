/// The PostgreSQL schema: the same tables and columns as the SQLite schema (SQLiteSchema.swift), in
/// PostgreSQL's types, created in the connection's current schema (the first existing schema of
/// `search_path`, `public` unless the URI says otherwise). The table `meta` marks it as a
/// libtokenauth store (`meta.schema = 'libtokenauth'`) and holds its version, so that a schema of
/// another application is never taken over. Text columns compare and sort by bytes (COLLATE "C"),
/// as SQLite's BINARY collation does, whatever the database's locale.
enum PostgresSchema {
    static let marker = "libtokenauth"
    static let currentVersion: Int64 = 4
    /// The first key of the writers' advisory lock ('TAK1', as SQLite's application_id); the
    /// second is derived from the schema name, so two stores in one database do not wait for each other.
    static let lockClass: Int32 = 0x5441_4B31
    /// The notification channel; the payload is "<change seq> <schema>". The table `listeners`
    /// holds, per listening session (backend pid), the change seq its handle's index covers: a
    /// writer waits for every live one to reach its change (PostgresListener).
    static let channel = "tokenauth"

    /// Migration n brings a schema from version n-1 to n. Append; never edit a shipped one.
    static let migrations: [String] = [
        """
        CREATE TABLE meta(key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
        CREATE TABLE scopes(
            name text COLLATE "C" PRIMARY KEY,
            implies text NOT NULL DEFAULT '',
            description text
        );
        CREATE TABLE members(
            id text COLLATE "C" PRIMARY KEY,
            active boolean NOT NULL,
            permissions text NOT NULL
        );
        CREATE TABLE tokens(
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id text COLLATE "C" NOT NULL UNIQUE,
            digest bytea NOT NULL UNIQUE,
            hint text NOT NULL,
            name text NOT NULL,
            kind integer NOT NULL,
            owner text COLLATE "C",
            owner_removed boolean NOT NULL DEFAULT false,
            created_by text COLLATE "C" NOT NULL,
            scopes text NOT NULL,
            expanded text NOT NULL,
            created_at bigint NOT NULL,
            expires_at bigint NOT NULL,
            active boolean NOT NULL,
            revoke_at bigint,
            rate_limit bigint NOT NULL,
            rate_window_ms bigint NOT NULL,
            rotated_from text COLLATE "C",
            rotated_to text COLLATE "C",
            use_count bigint NOT NULL DEFAULT 0,
            denied_count bigint NOT NULL DEFAULT 0,
            last_used_at bigint NOT NULL DEFAULT 0
        );
        CREATE TABLE usage_daily(
            token_id text COLLATE "C" NOT NULL,
            day bigint NOT NULL,
            uses bigint NOT NULL DEFAULT 0,
            denied bigint NOT NULL DEFAULT 0,
            PRIMARY KEY(token_id, day)
        );
        CREATE TABLE usage_counts(
            token_id text COLLATE "C" NOT NULL,
            day bigint NOT NULL,
            dimension text COLLATE "C" NOT NULL,
            key text COLLATE "C" NOT NULL,
            count bigint NOT NULL,
            PRIMARY KEY(token_id, dimension, day, key)
        );
        CREATE TABLE audit(
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at bigint NOT NULL,
            event text COLLATE "C" NOT NULL,
            actor text COLLATE "C",
            token_id text COLLATE "C",
            member_id text COLLATE "C",
            detail text NOT NULL,
            agg_key text COLLATE "C",
            agg_count bigint,
            agg_first bigint,
            agg_last bigint
        );
        CREATE UNIQUE INDEX audit_aggregate ON audit(agg_key) WHERE agg_key IS NOT NULL;
        CREATE INDEX audit_at ON audit(at, seq);
        CREATE INDEX audit_token ON audit(token_id);
        CREATE TABLE changes(
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind integer NOT NULL,
            digest bytea
        );
        CREATE UNLOGGED TABLE listeners(
            pid integer PRIMARY KEY,
            heard bigint NOT NULL
        );
        """,
        // 2: revocation is a state (SQLite's migration 5 says why and how).
        """
        ALTER TABLE tokens ADD COLUMN revoked boolean NOT NULL DEFAULT false;
        UPDATE tokens SET revoked = true WHERE owner_removed
            OR id IN (SELECT token_id FROM audit WHERE event = 'token.revoked' AND token_id IS NOT NULL)
            OR id IN (SELECT token_id FROM audit WHERE event = 'token.rotated' AND token_id IS NOT NULL
                      AND (detail LIKE '%"grace_ms":0,%' OR detail LIKE '%"grace_ms":0}%'));
        CREATE INDEX tokens_grace ON tokens(revoke_at) WHERE NOT revoked AND revoke_at IS NOT NULL;
        """,
        // 3: the fleet's rate-limit buckets (PostgresFleetBudget): one GCRA TAT per token, keyed as
        // the hosts' shared tables key it. UNLOGGED: no WAL per lease; a crash leaves them full.
        """
        CREATE UNLOGGED TABLE rate_budget(
            key bigint PRIMARY KEY,
            tat bigint NOT NULL,
            granted bigint NOT NULL DEFAULT 0,
            now_us bigint NOT NULL DEFAULT 0
        );
        """,
        // 4: a member's own tokens a page at a time (SQLite's migration 6 says why).
        """
        CREATE INDEX tokens_owner ON tokens(owner, id) WHERE owner IS NOT NULL;
        """,
    ]

    /// 32-bit FNV-1a of the schema name: the second key of the writers' advisory lock.
    static func lockKey(schema: String) -> Int32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in schema.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        return Int32(bitPattern: hash)
    }
}
