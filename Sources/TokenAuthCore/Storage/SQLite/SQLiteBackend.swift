import CSQLite
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The embedded backend: one SQLite file in WAL mode. One writer connection behind a lock serialises
/// this handle's writes (other processes are serialised by SQLite's own locks, waiting up to
/// busy_timeout); verification and reads use a pool of reader connections, which never wait for a
/// writer in WAL mode.
final class SQLiteBackend: StorageBackend, @unchecked Sendable {
    let tokenPrefix: String
    private let location: Location
    private let busyTimeoutMS: Int32
    private let writer: Locked<SQLiteConnection>
    private let readers = Locked<[SQLiteConnection]>([])
    private let closed = Atomic<Bool>(false)
    let commitSignal: CommitSignal
    var databaseFile: String? { location.isMemory ? nil : location.path }

    /// Where the database lives: a file, or a private in-memory database shared by this handle's
    /// connections (SQLite's memdb VFS; a name starting with '/' is shared within the process).
    private struct Location {
        let path: String
        let isURI: Bool
        let isMemory: Bool

        private static let memoryCounter = Atomic<Int>(0)

        init(_ path: String) {
            if path == ":memory:" {
                let number = Self.memoryCounter.add(1, ordering: .relaxed).newValue
                self.path = "file:/tokenauth-memory-\(getpid())-\(number)?vfs=memdb"
                isURI = true
                isMemory = true
            } else {
                self.path = path
                isURI = false
                isMemory = false
            }
        }
    }

    init(path: String, requestedPrefix: String?, busyTimeoutMS: Int32) throws {
        guard sqlite3_threadsafe() != 0 else {
            throw TokenAuthError(.storageError, "the system SQLite was built without thread safety")
        }
        location = Location(path)
        self.busyTimeoutMS = busyTimeoutMS
        let (connection, prefix) = try Self.openWriter(location, requestedPrefix: requestedPrefix, busyTimeoutMS: busyTimeoutMS)
        tokenPrefix = prefix
        commitSignal = location.isMemory ? .localCounter() : .walIndex(of: connection)
        writer = Locked(connection)
    }

    /// Opens the writer connection and prepares the file; returns it with the token prefix.
    ///
    /// Processes that open a file no one has set up yet (a gateway's workers on its first start)
    /// race: SQLite switches an empty file to WAL in its rollback-journal mode, where one process
    /// can find the lock taken without waiting (SQLITE_BUSY) or remove a journal that another has
    /// just made, as stale (SQLITE_IOERR_*). Nothing is committed half-way; the loser starts again,
    /// within busy_timeout, and finds the file set up.
    private static func openWriter(_ location: Location, requestedPrefix: String?,
                                   busyTimeoutMS: Int32) throws -> (SQLiteConnection, String) {
        let creating = !location.isMemory && isEmptyOrMissing(location.path)
        let deadline = StoreClock.monotonicNS() + Int64(max(busyTimeoutMS, 0)) * 1_000_000
        var pauseUS: UInt32 = 500
        return try mapErrors {
            while true {
                do {
                    let connection = try connect(location, readOnly: false, busyTimeoutMS: busyTimeoutMS)
                    return (connection, try prepare(connection, isMemory: location.isMemory, requestedPrefix: requestedPrefix))
                } catch let error as SQLiteError where creating && error.isLockOrIOError && StoreClock.monotonicNS() < deadline {
                    usleep(pauseUS)
                    pauseUS = min(pauseUS * 2, 20_000)
                }
            }
        }
    }

    /// True when nothing has been written to `path` yet (it is missing or empty).
    private static func isEmptyOrMissing(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) != 0 || info.st_size == 0
    }

    /// Opens a connection and reads it once (SQLite errors are thrown as `SQLiteError`).
    private static func connect(_ location: Location, readOnly: Bool, busyTimeoutMS: Int32) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: location.path, uri: location.isURI, busyTimeoutMS: busyTimeoutMS)
        // A file that is not a database is only noticed on the first read (GRDB issue #54): probe now.
        try connection.execute("SELECT count(*) FROM sqlite_master")
        if readOnly { try connection.execute("PRAGMA query_only=1") }
        return connection
    }

    /// The page size of new databases. A token creation writes about six pages to the WAL (the token
    /// row, its id and digest index entries, the audit row and its time index entry, the change-log
    /// row); each is copied, checksummed, written and later synced whole, so 2 KiB pages make creation
    /// markedly cheaper than SQLite's 4 KiB default while a token row still fits a page many times.
    /// Existing databases keep theirs.
    static let newDatabasePageSize = 2048

    /// After a commit leaves at least this many pages in the WAL, the writer copies them back into the
    /// database (SQLite's automatic checkpoint, which defaults to 1,000). Each checkpoint syncs the WAL
    /// and the database once and copies a page once however often it was rewritten, so a larger
    /// interval makes token creation cheaper (the rightmost pages of the tokens, audit and change log
    /// are rewritten by every commit); the WAL grows to about this many pages (20 MB with 2 KiB pages)
    /// and is then reused from its start. Other processes' connections keep their own setting.
    static let walCheckpointPages = 10_000

    /// Switches to WAL, creates or migrates the schema, and settles the token prefix; returns it.
    private static func prepare(_ db: SQLiteConnection, isMemory: Bool, requestedPrefix: String?) throws -> String {
        // Takes effect only while the file is still empty (a WAL database keeps its page size).
        try db.execute("PRAGMA page_size=\(newDatabasePageSize)")
        if !isMemory {
            // WAL: readers do not block the writer and the writer does not block readers
            // (https://sqlite.org/wal.html). The pragma returns a row; sqlite3_exec steps it.
            try db.execute("PRAGMA journal_mode=WAL")
            try db.execute("PRAGMA wal_autocheckpoint=\(walCheckpointPages)")
        }
        try db.setDurability(.full)
        try db.execute("BEGIN IMMEDIATE")
        do {
            let prefix = try migrate(db, requestedPrefix: requestedPrefix)
            try db.execute("COMMIT")
            return prefix
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    private static func integer(_ db: SQLiteConnection, _ sql: String) throws -> Int64 {
        var value: Int64 = 0
        try db.statement(sql).run([]) { value = $0.int(0) }
        return value
    }

    private static func migrate(_ db: SQLiteConnection, requestedPrefix: String?) throws -> String {
        let applicationID = try integer(db, "PRAGMA application_id")
        var version = try integer(db, "PRAGMA user_version")
        if applicationID == 0, version == 0, try integer(db, "SELECT count(*) FROM sqlite_master") == 0 {
            try db.execute("PRAGMA application_id=\(SQLiteSchema.applicationID)")
        } else if applicationID != SQLiteSchema.applicationID {
            throw TokenAuthError(.conflict, "the file is a SQLite database of another application, not a libtokenauth database")
        }
        guard version <= SQLiteSchema.currentVersion else {
            throw TokenAuthError(.conflict, "the database has schema version \(version), newer than this library's \(SQLiteSchema.currentVersion); upgrade libtokenauth")
        }
        let isNew = version == 0
        while version < SQLiteSchema.currentVersion {
            try db.execute(SQLiteSchema.migrations[Int(version)])
            version += 1
            try db.execute("PRAGMA user_version=\(version)")
        }
        let access = SQLiteAccess(db: db)
        if isNew {
            let prefix = requestedPrefix ?? TokenFormat.defaultPrefix
            try db.statement("INSERT INTO meta(key, value) VALUES('token_prefix', ?1), ('catalog_version', '1')")
                .run([.text(prefix)])
            for (name, definition) in ScopeCatalog.standard.definitions.sorted(by: { $0.key < $1.key }) {
                try access.putScope(name, definition)
            }
            return prefix
        }
        var stored: String?
        try db.statement("SELECT value FROM meta WHERE key = 'token_prefix'").run([]) { stored = $0.text(0) }
        guard let stored else { throw TokenAuthError.internal("the database has no token prefix") }
        if let requestedPrefix, requestedPrefix != stored {
            throw TokenAuthError(.conflict, "the database's token prefix is \"\(stored)\"; it cannot be opened with \"\(requestedPrefix)\"")
        }
        return stored
    }

    // MARK: transactions

    func read<T>(_ body: (any StorageReader) throws -> T) throws -> T {
        try withReader { db in try Self.transaction(db, begin: "BEGIN") { try body(SQLiteAccess(db: db)) } }
    }

    /// Runs `body` between `begin` and COMMIT (ROLLBACK if it throws), with prepared statements.
    private static func transaction<T>(_ db: SQLiteConnection, begin: String, _ body: () throws -> T) throws -> T {
        try db.statement(begin).run([])
        do {
            let result = try body()
            try db.statement("COMMIT").run([])
            return result
        } catch {
            try? db.statement("ROLLBACK").run([])
            throw error
        }
    }

    func write<T>(_ durability: Durability, _ body: (any StorageWriter) throws -> T) throws -> T {
        guard !closed.load(ordering: .acquiring) else { throw TokenAuthError.internal("the store is closed") }
        return try writer.withLock { db in
            try Self.mapErrors {
                try db.setDurability(durability)
                // IMMEDIATE takes the write lock up front, so a busy database fails (or waits) here,
                // never half-way through the call.
                let result = try Self.transaction(db, begin: "BEGIN IMMEDIATE") { try body(SQLiteAccess(db: db)) }
                commitSignal.bump()
                return result
            }
        }
    }

    func lookup(digest: UnsafeRawBufferPointer) throws -> (token: VerificationLookup?, changeSeq: Int64) {
        try withReader { db in
            var found: VerificationLookup?
            var changeSeq: Int64 = 0
            // One statement, so one snapshot: the token, its owner, the catalog version and the
            // change-log position all as of the same commit.
            try db.statement("""
                SELECT t.digest, t.id, t.kind, t.owner, t.owner_removed, t.expanded, t.expires_at, t.active,
                       t.revoke_at, t.rate_limit, t.rate_window_ms, m.id, m.active, m.permissions,
                       (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'catalog_version'),
                       (SELECT coalesce(max(seq), 0) FROM changes), t.revoked
                FROM (SELECT 1) LEFT JOIN tokens t ON t.digest_key = ?1
                LEFT JOIN members m ON t.kind = 1 AND t.owner_removed = 0 AND m.id = t.owner
                """).run([.int(SQLiteAccess.digestKey(digest))]) { row in
                changeSeq = row.int(15)
                guard !row.isNull(1), let kind = TokenKind(rawValue: Int32(truncatingIfNeeded: row.int(2))) else { return }
                let limit = UInt32(clamping: row.int(9))
                found = VerificationLookup(
                    digest: row.blob(0), id: row.text(1), kind: kind, owner: row.optionalText(3),
                    ownerRemoved: row.bool(4), expandedScopes: row.text(5), expiresAt: row.int(6),
                    active: row.bool(7), revoked: row.bool(16), graceEndsAt: row.optionalInt(8),
                    rateLimit: limit == 0 ? nil : RateLimit(limit: limit, windowMS: UInt32(clamping: row.int(10))),
                    ownerMember: row.isNull(11) ? nil : Member(id: row.text(11), active: row.bool(12), permissions: words(row.text(13))),
                    catalogVersion: row.int(14))
            }
            return (found, changeSeq)
        }
    }

    /// Runs `body` on a pooled reader connection (opened on first need), returning it afterwards.
    private func withReader<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        guard !closed.load(ordering: .acquiring) else { throw TokenAuthError.internal("the store is closed") }
        return try Self.mapErrors {
            let connection = try readers.withLock { $0.popLast() }
                ?? Self.connect(location, readOnly: true, busyTimeoutMS: busyTimeoutMS)
            defer { readers.withLock { $0.append(connection) } }
            return try body(connection)
        }
    }

    private static func mapErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError {
            throw error.asTokenAuthError
        }
    }

    func close() {
        closed.store(true, ordering: .releasing)
        readers.withLock { pool in
            for connection in pool { connection.close() }
            pool.removeAll()
        }
        writer.withLock { $0.close() }
    }
}
