import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The fleet backend: one PostgreSQL database (or one schema of it) shared by every host, reached
/// through libpq with the operator's `postgresql://…` URI. The same semantics as SQLiteBackend:
///
/// - Writes: one writer connection behind a lock per handle; across hosts, writers are serialised
///   by a transaction-level advisory lock taken first in every write transaction (SQLite's single
///   writer, waiting at most busy_timeout as lock_timeout). In READ COMMITTED, each statement after
///   the lock sees every earlier commit, so the core's read-check-write calls behave as on SQLite.
///   Durability: `.full` commits with synchronous_commit on, `.normal` with it off.
/// - Reads: a pool of reader connections; a read is one REPEATABLE READ, READ ONLY transaction
///   (one snapshot, as SQLite's BEGIN); a lookup is one statement (one snapshot too).
/// - Freshness: a write that changes the change log notifies the channel on commit; every handle's
///   listener (PostgresListener) turns notifications into commit-signal bumps, and withdraws
///   trust in the index while it cannot prove the connection alive (fail closed).
/// - Lost connections: a broken pooled connection is re-established on its next use, and a read
///   (which has no effect) is retried once on it; a write is retried only if it broke before
///   its transaction began. After a failed connection attempt, further attempts within a second
///   fail at once, so that a gateway under load does not queue behind connect timeouts.
final class PostgresBackend: StorageBackend, @unchecked Sendable {
    let tokenPrefix: String
    let commitSignal: CommitSignal
    /// The fleet shares no file: its hosts' buckets are reconciled through the database.
    var databaseFile: String? { nil }
    private let settings: PostgresSettings
    private let schema: String
    private let writer: Locked<PostgresConnection>
    private let readers = Locked<[PostgresConnection]>([])
    private let listener: PostgresListener
    private let closed = Atomic<Bool>(false)
    /// When a connection attempt last failed (coarse monotonic ns) and why.
    private let lastFailure = Locked<(at: Int64, message: String)?>(nil)
    private let beginWrite: [Durability: String]

    static let reconnectBackoffNS: Int64 = 1_000_000_000

    static func handles(_ path: String) -> Bool { PostgresSettings.isURI(path) }

    /// How long a call waits for the server's answer: a write may wait busy_timeout for a lock; a
    /// read (verifications included) waits at most the freshness bound, then fails closed.
    private static func writerTimeoutMS(_ settings: PostgresSettings) -> Int64 {
        Int64(settings.busyTimeoutMS) + max(settings.freshnessMS, 1000)
    }

    init(uri: String, requestedPrefix: String?, busyTimeoutMS: Int32) throws {
        try LibPQ.require()
        settings = try PostgresSettings(path: uri, busyTimeoutMS: busyTimeoutMS)
        let connection = try PostgresConnection(settings: settings, answerTimeoutMS: Self.writerTimeoutMS(settings))
        do {
            let found = try connection.execute("SELECT current_schema()")
            guard found.count == 1, !found.isNull(0, 0) else {
                throw TokenAuthError(.storageError, "no schema to keep the tokens in: the first schema of search_path does not exist (create it, or name an existing one with options=-csearch_path%3D…)")
            }
            schema = found.text(0, 0)
            let lock = "SELECT pg_advisory_xact_lock(\(PostgresSchema.lockClass), \(PostgresSchema.lockKey(schema: schema)))"
            beginWrite = [.full: "BEGIN; \(lock)", .normal: "BEGIN; SET LOCAL synchronous_commit TO off; \(lock)"]
            tokenPrefix = try Self.prepare(connection, begin: "BEGIN; \(lock)", requestedPrefix: requestedPrefix)
        } catch let error as PostgresError {
            throw error.asTokenAuthError
        }
        commitSignal = .notificationCounter()
        listener = try PostgresListener(settings: settings, signal: commitSignal, schema: schema)
        writer = Locked(connection)
        guard listener.start() else {
            throw TokenAuthError(.internalError, "cannot start the PostgreSQL notification thread")
        }
    }

    // MARK: schema

    /// Creates or migrates the schema under the writers' lock and settles the token prefix.
    private static func prepare(_ db: PostgresConnection, begin: String, requestedPrefix: String?) throws -> String {
        try db.execute(begin)
        do {
            let prefix = try migrate(db, requestedPrefix: requestedPrefix)
            try db.execute("COMMIT")
            return prefix
        } catch {
            if !db.isBroken { _ = try? db.execute("ROLLBACK") }
            throw error
        }
    }

    private static func migrate(_ db: PostgresConnection, requestedPrefix: String?) throws -> String {
        let state = try db.execute("""
            SELECT count(*), count(*) FILTER (WHERE c.relname = 'meta' AND c.relkind = 'r')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            """)
        let relations = state.int(0, 0), hasMeta = state.int(0, 1) > 0
        var version: Int64 = 0
        if relations > 0 {
            let marker = hasMeta ? try db.execute("SELECT value FROM meta WHERE key = 'schema'") : nil
            guard let marker, marker.count == 1, marker.text(0, 0) == PostgresSchema.marker else {
                throw TokenAuthError(.conflict, "the schema holds tables of another application, not a libtokenauth database; give libtokenauth a database or schema of its own")
            }
            let stored = try db.execute("SELECT value::bigint FROM meta WHERE key = 'schema_version'")
            version = stored.count == 1 ? stored.int(0, 0) : 0
        }
        guard version <= PostgresSchema.currentVersion else {
            throw TokenAuthError(.conflict, "the database has schema version \(version), newer than this library's \(PostgresSchema.currentVersion); upgrade libtokenauth")
        }
        let isNew = version == 0
        while version < PostgresSchema.currentVersion {
            try db.execute(PostgresSchema.migrations[Int(version)])
            version += 1
        }
        let access = PostgresAccess(db: db)
        if isNew {
            let prefix = requestedPrefix ?? TokenFormat.defaultPrefix
            try db.query("""
                INSERT INTO meta(key, value) VALUES('schema', $1), ('schema_version', $2), ('token_prefix', $3),
                    ('catalog_version', '1')
                """, [.text(PostgresSchema.marker), .text(String(version)), .text(prefix)])
            for (name, definition) in ScopeCatalog.standard.definitions.sorted(by: { $0.key < $1.key }) {
                try access.putScope(name, definition)
            }
            return prefix
        }
        try db.query("UPDATE meta SET value = $1 WHERE key = 'schema_version'", [.text(String(version))])
        let stored = try db.execute("SELECT value FROM meta WHERE key = 'token_prefix'")
        guard stored.count == 1 else { throw TokenAuthError.internal("the database has no token prefix") }
        let prefix = stored.text(0, 0)
        if let requestedPrefix, requestedPrefix != prefix {
            throw TokenAuthError(.conflict, "the database's token prefix is \"\(prefix)\"; it cannot be opened with \"\(requestedPrefix)\"")
        }
        return prefix
    }

    // MARK: transactions

    func read<T>(_ body: (any StorageReader) throws -> T) throws -> T {
        try withReader { db in
            try db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            do {
                let result = try body(PostgresAccess(db: db))
                try db.execute("COMMIT")
                return result
            } catch {
                if !db.isBroken, db.inTransaction { _ = try? db.execute("ROLLBACK") }
                throw error
            }
        }
    }

    func write<T>(_ durability: Durability, _ body: (any StorageWriter) throws -> T) throws -> T {
        guard !closed.load(ordering: .acquiring) else { throw TokenAuthError.internal("the store is closed") }
        let begin = beginWrite[durability] ?? beginWrite[.full] ?? "BEGIN"
        let (result, notified, committedAt) = try writer.withLock { db in
            try mapErrors { () throws -> (T, Int64, Int64) in
                try ensureConnected(db)
                do {
                    try db.execute(begin)
                } catch let error as PostgresError where db.isBroken && !error.timedOut {
                    // Nothing was sent inside a transaction yet: safe to try once more.
                    try reconnect(db)
                    try db.execute(begin)
                }
                let access = PostgresAccess(db: db)
                do {
                    let result = try body(access)
                    var finish = "COMMIT"
                    if access.loggedChange {
                        // Prune the log and notify every listener; NOTIFY is delivered on commit.
                        let seq = access.loggedSeq
                        finish = """
                            DELETE FROM changes WHERE seq <= \(seq - PostgresAccess.changesKept);
                            SELECT pg_notify('\(PostgresSchema.channel)', '\(seq) ' || current_schema()); COMMIT
                            """
                    }
                    do {
                        try db.execute(finish)
                    } catch let error as PostgresError where db.isBroken {
                        throw TokenAuthError(.storageError, "the connection to PostgreSQL was lost during COMMIT; the change may or may not have been applied: \(error.message)")
                    }
                    commitSignal.bump()
                    return (result, access.loggedChange ? access.loggedSeq : 0, CommitSignal.coarseNowNS())
                } catch {
                    if !db.isBroken, db.inTransaction { _ = try? db.execute("ROLLBACK") }
                    throw error
                }
            }
        }
        if notified > 0 { awaitListeners(notified, committedAt: committedAt) }
        return result
    }

    /// Waits until every live listener of the schema — every open handle, on every host —
    /// acknowledged change `seq`, so that the next verification anywhere sees it. Bounded by the
    /// freshness bound after the commit: a host that did not acknowledge by then no longer trusts
    /// its index (PostgresListener). Gives up quietly if the database cannot be read: the change
    /// is committed either way.
    private func awaitListeners(_ seq: Int64, committedAt: Int64) {
        let deadline = committedAt + settings.freshnessMS * 1_000_000
        var pauseUS: UInt32 = 100
        while CommitSignal.coarseNowNS() < deadline {
            let waiting = try? withReader { db in
                try db.query("""
                    SELECT count(*) FROM listeners WHERE heard < $1 AND pid IN (SELECT pid FROM pg_stat_activity)
                    """, [.int(seq)]).int(0, 0)
            }
            guard let waiting, waiting > 0 else { return }
            usleep(pauseUS)
            pauseUS = min(pauseUS * 2, 2000)
        }
    }

    /// The lookup of the hot path's misses: one statement, one snapshot (the token, its owner, the
    /// catalog version and the change-log position as of the same moment).
    private static let lookupSQL = """
        SELECT t.digest, t.id, t.kind, t.owner, t.owner_removed, t.expanded, t.expires_at, t.active,
               t.revoke_at, t.rate_limit, t.rate_window_ms, m.id, m.active, m.permissions,
               (SELECT value::bigint FROM meta WHERE key = 'catalog_version'),
               (SELECT coalesce(max(seq), 0) FROM changes), t.revoked
        FROM (SELECT 1) AS one LEFT JOIN tokens t ON t.digest = $1
        LEFT JOIN members m ON t.kind = 1 AND NOT t.owner_removed AND m.id = t.owner
        """

    func lookup(digest: UnsafeRawBufferPointer) throws -> (token: VerificationLookup?, changeSeq: Int64) {
        try withReader { db in
            let r = try db.query(Self.lookupSQL, [.bytes(Array(digest))])
            guard r.count == 1 else { return (nil, 0) }
            let changeSeq = r.int(0, 15)
            guard !r.isNull(0, 1), let kind = TokenKind(rawValue: Int32(truncatingIfNeeded: r.int(0, 2))) else {
                return (nil, changeSeq)
            }
            let limit = UInt32(clamping: r.int(0, 9))
            let found = VerificationLookup(
                digest: r.bytes(0, 0), id: r.text(0, 1), kind: kind, owner: r.optionalText(0, 3),
                ownerRemoved: r.bool(0, 4), expandedScopes: r.text(0, 5), expiresAt: r.int(0, 6),
                active: r.bool(0, 7), revoked: r.bool(0, 16), graceEndsAt: r.optionalInt(0, 8),
                rateLimit: limit == 0 ? nil : RateLimit(limit: limit, windowMS: UInt32(clamping: r.int(0, 10))),
                ownerMember: r.isNull(0, 11) ? nil : Member(id: r.text(0, 11), active: r.bool(0, 12), permissions: words(r.text(0, 13))),
                catalogVersion: r.int(0, 14))
            return (found, changeSeq)
        }
    }

    // MARK: connections

    /// Runs `body` on a pooled reader connection (opened on first need), returning it afterwards.
    /// A read has no effect, so one that failed because the connection broke runs once more on a
    /// fresh connection (a server restart or failover costs one reconnect, not an error).
    func withReader<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        guard !closed.load(ordering: .acquiring) else { throw TokenAuthError.internal("the store is closed") }
        let pooled = readers.withLock { $0.popLast() }
        return try mapErrors {
            let connection = try pooled ?? newConnection()
            defer { readers.withLock { $0.append(connection) } }
            try ensureConnected(connection)
            do {
                return try body(connection)
            } catch let error as PostgresError where error.timedOut {
                // A hung server: let the other threads fail at once instead of waiting too.
                lastFailure.withLock { $0 = (CommitSignal.coarseNowNS(), error.message) }
                throw error
            } catch is PostgresError where connection.isBroken {
                try reconnect(connection)
                return try body(connection)
            }
        }
    }

    private func newConnection() throws -> PostgresConnection {
        try throttled { try PostgresConnection(settings: settings, answerTimeoutMS: max(settings.freshnessMS, 1000)) }
    }

    private func ensureConnected(_ connection: PostgresConnection) throws {
        if connection.isBroken { try reconnect(connection) }
    }

    private func reconnect(_ connection: PostgresConnection) throws {
        try throttled { try connection.connect() }
    }

    /// Fails at once while the last connection attempt failed less than a second ago.
    private func throttled<T>(_ attempt: () throws -> T) throws -> T {
        let now = CommitSignal.coarseNowNS()
        if let failure = lastFailure.withLock({ $0 }), now - failure.at < Self.reconnectBackoffNS {
            throw TokenAuthError(.storageError, "PostgreSQL cannot be reached (retrying at most once a second): \(failure.message)")
        }
        do {
            let result = try attempt()
            lastFailure.withLock { $0 = nil }
            return result
        } catch {
            let message = (error as? TokenAuthError)?.message ?? (error as? PostgresError)?.message ?? "\(error)"
            lastFailure.withLock { $0 = (now, message) }
            throw error
        }
    }

    private func mapErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError {
            throw error.asTokenAuthError
        }
    }

    func close() {
        closed.store(true, ordering: .releasing)
        listener.stop()
        readers.withLock { pool in
            for connection in pool { connection.close() }
            pool.removeAll()
        }
        writer.withLock { $0.close() }
    }
}
