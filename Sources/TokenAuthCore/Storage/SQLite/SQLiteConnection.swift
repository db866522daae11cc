import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// A value bound to or read from a statement.
enum SQLValue {
    case null
    case int(Int64)
    case text(String)
    case blob([UInt8])
}

/// One SQLite connection with its cache of prepared statements (GRDB's pattern). Not thread-safe:
/// its owner serialises access (the writer behind a mutex, readers one thread at a time from a pool).
final class SQLiteConnection {
    /// `SQLITE_TRANSIENT`: SQLite copies a bound value before `bind` returns (the macro is not importable).
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    let handle: OpaquePointer
    private var statements: [StatementKey: Statement] = [:]
    private var synchronous: Durability?
    private var isClosed = false
    private let busyWait: BusyWait

    /// Opens `path`. `sqlite3_open_v2` may hand back a handle even when it fails; it is closed here
    /// ("Whether or not an error occurs when it is opened, resources associated with the database
    /// connection handle should be released by passing it to sqlite3_close()").
    init(path: String, uri: Bool, busyTimeoutMS: Int32) throws {
        var db: OpaquePointer?
        // NOMUTEX: each connection is used by one thread at a time (the owner's lock), so SQLite's own
        // per-connection mutex would only cost time.
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        if uri { flags |= SQLITE_OPEN_URI }
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(db)
            throw TokenAuthError(.storageError, "cannot open the database: \(message)")
        }
        handle = db
        busyWait = BusyWait(timeoutMS: busyTimeoutMS)
        sqlite3_extended_result_codes(db, 1)
        busyWait.install(on: db)
    }

    deinit { close() }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        for statement in statements.values { statement.finalize() }
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs SQL without results (several statements allowed), stepping each to completion.
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        if code != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(message)
            throw SQLiteError.failure(code: code, message: text)
        }
    }

    /// A cached prepared statement (SQLITE_PREPARE_PERSISTENT: it lives as long as the connection).
    func statement(_ sql: String) throws -> Statement {
        let key = StatementKey(sql: sql)
        if let cached = statements[key] { return cached }
        var raw: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard code == SQLITE_OK, let raw else { throw error(code) }
        let statement = Statement(handle: raw, connection: self)
        statements[key] = statement
        return statement
    }

    /// Drops a statement whose step failed: "sqlite3_reset won't be able to restore it" (GRDB).
    func evict(_ statement: Statement) {
        if let key = statements.first(where: { $0.value === statement })?.key { statements[key] = nil }
        statement.finalize()
    }

    /// Sets `PRAGMA synchronous` for the next transactions: FULL syncs the WAL on every commit, so a
    /// committed change survives a power loss; NORMAL survives a process crash only.
    func setDurability(_ durability: Durability) throws {
        guard synchronous != durability else { return }
        try execute(durability == .full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        synchronous = durability
    }

    func error(_ code: Int32) -> SQLiteError {
        .failure(code: code, message: String(cString: sqlite3_errmsg(handle)))
    }

    var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the latest successful INSERT on this connection.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

/// Waiting for another connection's lock, up to the busy timeout. SQLite's own handler
/// (`sqlite3_busy_timeout`) backs off to 100 ms sleeps, so a writer waiting behind another process
/// that commits back to back (each holding the lock a few ms) rarely finds it free and fails after
/// the whole timeout. This one polls every millisecond (0.1 ms at first) against a monotonic
/// deadline. One per connection, used only by the thread that holds the connection.
final class BusyWait {
    private let timeoutNS: Int64
    private var startedNS: Int64 = 0

    init(timeoutMS: Int32) { timeoutNS = Int64(max(timeoutMS, 0)) * 1_000_000 }

    func install(on db: OpaquePointer) {
        sqlite3_busy_handler(db, { context, count in
            guard let context else { return 0 }
            return Unmanaged<BusyWait>.fromOpaque(context).takeUnretainedValue().shouldRetry(count: count) ? 1 : 0
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// `count` is how often SQLite already called the handler for this lock (0: the first time).
    private func shouldRetry(count: Int32) -> Bool {
        let now = StoreClock.monotonicNS()
        if count == 0 { startedNS = now }
        guard now - startedNS < timeoutNS else { return false }
        usleep(count < 20 ? 100 : 1000)
        return true
    }
}

/// A failed SQLite call, with the extended result code.
enum SQLiteError: Error {
    case failure(code: Int32, message: String)

    /// A lock that was not granted (SQLITE_BUSY, SQLITE_LOCKED) or an I/O error (SQLITE_IOERR_*).
    var isLockOrIOError: Bool {
        switch self {
        case .failure(let code, _): [SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR].contains(code & 0xFF)
        }
    }

    var asTokenAuthError: TokenAuthError {
        switch self {
        case .failure(let code, let message):
            let primary = code & 0xFF
            let what: String
            switch primary {
            case SQLITE_BUSY, SQLITE_LOCKED: what = "the database is busy (another writer held it past busy_timeout)"
            case SQLITE_FULL: what = "the disk or database is full"
            case SQLITE_READONLY: what = "the database is read-only"
            case SQLITE_NOTADB: what = "the file is not a database"
            case SQLITE_CORRUPT: what = "the database file is corrupt"
            case SQLITE_IOERR: what = "an I/O error occurred"
            case SQLITE_CANTOPEN: what = "the database file cannot be opened"
            case SQLITE_CONSTRAINT: return .internal("storage constraint failed: \(message)")
            default: what = "storage failed"
            }
            return TokenAuthError(.storageError, "\(what): \(message) (SQLite code \(code))")
        }
    }
}

/// How durable a write transaction must be when it returns.
public enum Durability: Sendable {
    /// Survives a power loss: every change of a token's state, a member or the catalog.
    case full
    /// Survives a crash of the process: creating and renaming tokens, audit-only writes, usage.
    case normal
}

/// A statement cache key: the SQL text, hashed by its length and last bytes only. Hashing a whole
/// statement (hundreds of bytes) cost more than the rest of a cached lookup; equal keys still
/// compare the whole text, and a literal is compared with itself by identity first.
private struct StatementKey: Hashable {
    let sql: String

    static func == (a: StatementKey, b: StatementKey) -> Bool { a.sql == b.sql }

    func hash(into hasher: inout Hasher) {
        var tail: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &tail) { sql.copyUTF8(fromEnd: true, into: $0) }
        hasher.combine(sql.utf8.count)
        hasher.combine(tail.0)
        hasher.combine(tail.1)
    }
}
