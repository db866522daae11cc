import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// A value bound to a PostgreSQL statement parameter ($1, $2, …).
enum PGValue {
    case null
    case int(Int64)
    case bool(Bool)
    case text(String)
    /// Sent in binary format (a `bytea`), so no escaping is involved.
    case bytes([UInt8])
}

/// Where and how to connect: the libpq keywords of the operator's URI plus the library's defaults,
/// and the library's own settings taken out of the URI's query before libpq sees it.
struct PostgresSettings: Sendable {
    /// The URI with the library's own parameters removed (it may hold a password: never printed).
    let uri: String
    /// How long a verification may trust the in-memory index after the last confirmation that the
    /// notification connection is alive; past it, verifications read the database (and fail closed
    /// with TA_STORAGE_ERROR if it cannot be reached).
    let freshnessMS: Int64
    /// How long a write waits for another writer (lock_timeout), from `ta_config.busy_timeout_ms`.
    let busyTimeoutMS: Int32

    static let defaultFreshnessMS: Int64 = 3000
    /// How long a connection attempt may take: the URI's `connect_timeout` (libpq's meaning: whole
    /// seconds, at least 2, zero or less for no bound of its own), 3 s by default. A connection
    /// also gives up at its caller's answer timeout when that comes first.
    let connectTimeoutMS: Int64?
    static let defaultConnectTimeoutMS: Int64 = 3000
    /// The library's own URI parameter; removed before the URI reaches libpq.
    static let freshnessParameter = "freshness_ms"

    static func isURI(_ path: String) -> Bool {
        path.hasPrefix("postgresql://") || path.hasPrefix("postgres://")
    }

    init(path: String, busyTimeoutMS: Int32) throws {
        var freshness = Self.defaultFreshnessMS
        var uri = path
        if let query = path.firstIndex(of: "?") {
            var kept: [Substring] = []
            for parameter in path[path.index(after: query)...].split(separator: "&", omittingEmptySubsequences: true) {
                let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.first == Substring(Self.freshnessParameter) else {
                    kept.append(parameter)
                    continue
                }
                guard parts.count == 2, let value = Int64(parts[1]), (100...86_400_000).contains(value) else {
                    throw TokenAuthError.invalid("\(Self.freshnessParameter) must be a number of milliseconds from 100 to 86400000")
                }
                freshness = value
            }
            uri = String(path[..<query]) + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
        }
        // A URI libpq cannot parse is the caller's mistake, not the database's.
        var error: UnsafeMutablePointer<CChar>?
        guard let parsed = pq.PQconninfoParse(uri, &error) else {
            var reason = PostgresError.text(error)
            pq.PQfreemem(error)
            // libpq quotes the URI, which may hold a password: never into ta_last_error().
            if let quoted = reason.firstRange(of: " in URI: ") { reason = String(reason[..<quoted.lowerBound]) }
            throw TokenAuthError.invalid("not a valid PostgreSQL connection URI\(reason.isEmpty ? "" : ": " + reason)")
        }
        connectTimeoutMS = Self.connectTimeoutMS(parsed)
        pq.PQconninfoFree(parsed)
        self.uri = uri
        freshnessMS = freshness
        self.busyTimeoutMS = busyTimeoutMS
    }

    /// `connect_timeout` as parsed from the URI (a value that is not a number: libpq's own error
    /// when connecting).
    private static func connectTimeoutMS(_ options: UnsafeMutablePointer<PQconninfoOption>) -> Int64? {
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "connect_timeout", let value = option.pointee.val {
                guard let seconds = Int64(String(cString: value)) else { return defaultConnectTimeoutMS }
                return seconds > 0 ? max(seconds, 2).multipliedSaturated(by: 1000) : nil
            }
            option += 1
        }
        return defaultConnectTimeoutMS
    }

    /// libpq keywords, in order: the defaults first so that the URI (expanded from `dbname`)
    /// overrides them — "when key words are repeated, the last processed value is retained"
    /// (libpq, PQconnectStartParams) — then what the library needs and the URI may not change.
    var keywords: [(String, String)] {
        [
            ("application_name", "libtokenauth"),
            // A dead peer is noticed by the kernel too, not only by the listener's heartbeat.
            ("keepalives", "1"), ("keepalives_idle", "5"), ("keepalives_interval", "2"), ("keepalives_count", "3"),
            ("dbname", uri),
            ("client_encoding", "UTF8"),
        ]
    }

    /// Calls `body` with the NULL-terminated keyword and value arrays libpq's *Params functions take;
    /// nil when out of memory.
    func withParameters<T>(_ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T? {
        let pairs = keywords
        let keys = pairs.map { strdup($0.0) }, values = pairs.map { strdup($0.1) }
        defer { for pointer in keys + values { free(pointer) } }
        guard !keys.contains(nil), !values.contains(nil) else { return nil }
        let k = keys.map { $0.map { UnsafePointer($0) } } + [nil]
        let v = values.map { $0.map { UnsafePointer($0) } } + [nil]
        return k.withUnsafeBufferPointer { kp in
            v.withUnsafeBufferPointer { vp in
                guard let kb = kp.baseAddress, let vb = vp.baseAddress else { return nil }
                return body(kb, vb)
            }
        }
    }
}

/// A failed PostgreSQL call, mapped to the library's statuses in one place.
struct PostgresError: Error {
    let sqlState: String
    let message: String
    /// The server did not answer in time; the connection was closed (not worth an immediate retry).
    var timedOut = false

    var asTokenAuthError: TokenAuthError {
        let what: String
        switch sqlState {
        case "55P03", "40001", "40P01": what = "the database is busy (another writer held it past busy_timeout)"
        case "53100": what = "the database server's disk is full"
        case "25006": what = "the database is read-only"
        case "3F000": what = "the schema does not exist"
        case "42501": what = "permission denied by the database"
        case _ where sqlState.hasPrefix("23"): return .internal("storage constraint failed: \(message)")
        case _ where sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") || sqlState.isEmpty:
            what = "the PostgreSQL server cannot be reached"
        case _ where sqlState.hasPrefix("28"): what = "the PostgreSQL server refused the credentials"
        case _ where sqlState.hasPrefix("53"): what = "the PostgreSQL server is out of resources"
        default: what = "storage failed"
        }
        let code = sqlState.isEmpty ? "" : " (SQLSTATE \(sqlState))"
        return TokenAuthError(.storageError, "\(what): \(message)\(code)")
    }

    /// A message from libpq on one line (libpq ends lines with newlines; a log wants one line).
    static func text(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        var text = String(cString: pointer).split(whereSeparator: \.isNewline)
            .map { $0.trimmingPrefix(while: \.isWhitespace) }.joined(separator: "; ")
        while text.last == " " || text.last == ";" { text.removeLast() }
        return text
    }
}

/// One libpq connection with its prepared statements. Not thread-safe: its owner serialises access
/// (the writer behind a lock, readers one thread at a time from a pool, the listener on its thread).
/// libpq allows this: "it is not OK for two threads to try to manipulate the same PGconn object at
/// the same time" — different connections in different threads are fine (libpq, "Behavior in
/// Threaded Programs").
final class PostgresConnection {
    private(set) var handle: OpaquePointer?
    private let settings: PostgresSettings
    private var prepared: [String: String] = [:]
    /// How long to wait for the server's answer to one call before closing the connection: a server
    /// that hangs without closing its connections must not hang the caller.
    private let answerTimeoutNS: Int64

    /// Connects (at most the connect timeout or the answer timeout, whichever comes first). Throws
    /// TA_STORAGE_ERROR when it cannot.
    init(settings: PostgresSettings, answerTimeoutMS: Int64) throws {
        self.settings = settings
        answerTimeoutNS = max(answerTimeoutMS, 100) * 1_000_000
        try connect()
    }

    deinit { close() }

    func close() {
        if let handle { pq.PQfinish(handle) }
        handle = nil
        prepared.removeAll()
    }

    var isBroken: Bool { handle.map { pq.PQstatus($0) != CONNECTION_OK } ?? true }

    /// (Re)connects and sets up the session: a fresh session has no prepared statements.
    func connect() throws {
        close()
        let boundNS = min(answerTimeoutNS, settings.connectTimeoutMS.map { $0.multipliedSaturated(by: 1_000_000) } ?? .max)
        let connection: OpaquePointer
        switch PostgresConnect.connect(settings, until: CommitSignal.coarseNowNS() + boundNS, wait: PostgresConnect.pollSocket) {
        case .success(let connected): connection = connected
        case .failure(let failure): throw TokenAuthError(.storageError, "cannot connect to PostgreSQL: \(failure.message)")
        }
        handle = connection
        // lock_timeout bounds every wait for a lock (the writers' advisory lock, a row): the
        // counterpart of SQLite's busy_timeout.
        try execute("SET lock_timeout = \(max(settings.busyTimeoutMS, 1))")
    }

    /// A library does not print: the server's NOTICE/WARNING messages (libpq writes them to stderr
    /// by default) are dropped; errors reach the caller through results.
    static func silenceNotices(_ connection: OpaquePointer) {
        _ = pq.PQsetNoticeProcessor(connection, { _, _ in }, nil) // the previous processor: not kept
    }

    /// Runs one or more statements in one round trip (the simple query protocol), no parameters.
    /// Returns the rows of the last statement.
    @discardableResult
    func execute(_ sql: String) throws -> PostgresRows {
        try exchange { pq.PQsendQuery($0, sql) }
    }

    /// Runs one statement with parameters as a prepared statement (prepared once per session).
    @discardableResult
    func query(_ sql: String, _ values: [PGValue] = []) throws -> PostgresRows {
        let name: String
        if let known = prepared[sql] {
            name = known
        } else {
            name = "ta\(prepared.count + 1)"
            _ = try exchange { pq.PQsendPrepare($0, name, sql, 0, nil) }
            prepared[sql] = name
        }
        var texts: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        defer { for pointer in texts { Glibc.free(pointer) } }
        for value in values {
            switch value {
            case .null: texts.append(nil); lengths.append(0); formats.append(0)
            case .int(let number): texts.append(strdup(String(number))); lengths.append(0); formats.append(0)
            case .bool(let flag): texts.append(strdup(flag ? "t" : "f")); lengths.append(0); formats.append(0)
            case .text(let text): texts.append(strdup(text)); lengths.append(0); formats.append(0)
            case .bytes(let bytes):
                let copy = malloc(max(bytes.count, 1))?.assumingMemoryBound(to: CChar.self)
                bytes.withUnsafeBytes { if let base = $0.baseAddress { copy?.update(from: base.assumingMemoryBound(to: CChar.self), count: bytes.count) } }
                texts.append(copy); lengths.append(Int32(bytes.count)); formats.append(1)
            }
        }
        let pointers = texts.map { $0.map { UnsafePointer($0) } }
        return try exchange { pq.PQsendQueryPrepared($0, name, Int32(values.count), pointers, lengths, formats, 0) }
    }

    /// Sends a request (`send` is one of libpq's PQsend* calls), waits for its answer with poll()
    /// up to the answer timeout, and returns the rows of its last result; throws the first error.
    private func exchange(_ send: (OpaquePointer) -> Int32) throws -> PostgresRows {
        guard let handle else { throw brokenError() }
        guard send(handle) != 0 else {
            let error = brokenError()
            if isBroken { prepared.removeAll() }
            throw error
        }
        let deadline = CommitSignal.coarseNowNS() + answerTimeoutNS
        while pq.PQisBusy(handle) != 0 {
            let remaining = deadline - CommitSignal.coarseNowNS()
            guard remaining > 0 else {
                close()
                throw PostgresError(sqlState: "08006", message: "no answer within \(answerTimeoutNS / 1_000_000) ms; the connection was closed",
                                    timedOut: true)
            }
            var socket = pollfd(fd: pq.PQsocket(handle), events: Int16(POLLIN), revents: 0)
            let ready = poll(&socket, 1, Int32(clamping: remaining / 1_000_000 + 1))
            if ready < 0, errno == EINTR { continue }
            // A failed read leaves the connection bad: PQgetResult then reports the error.
            if ready > 0, pq.PQconsumeInput(handle) == 0 { break }
        }
        var last: OpaquePointer?
        var failure: PostgresError?
        while let result = pq.PQgetResult(handle) {
            switch pq.PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                if let last { pq.PQclear(last) }
                last = result
            default:
                if failure == nil {
                    let state = pq.PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
                    var message = PostgresError.text(pq.PQresultErrorMessage(result))
                    if message.isEmpty { message = PostgresError.text(pq.PQerrorMessage(handle)) }
                    failure = PostgresError(sqlState: state, message: message)
                }
                pq.PQclear(result)
            }
            if pq.PQstatus(handle) != CONNECTION_OK { break }
        }
        if let failure {
            if let last { pq.PQclear(last) }
            // A fresh session (after a reconnect) has no prepared statements.
            if isBroken { prepared.removeAll() }
            throw failure
        }
        guard let last else { throw brokenError() }
        return PostgresRows(last)
    }

    private func brokenError() -> PostgresError {
        let message = handle.map { PostgresError.text(pq.PQerrorMessage($0)) } ?? ""
        return PostgresError(sqlState: "08006", message: message.isEmpty ? "the connection is closed" : message)
    }

    /// In-transaction state, to roll back only what is open.
    var inTransaction: Bool {
        guard let handle else { return false }
        let state = pq.PQtransactionStatus(handle)
        return state == PQTRANS_INTRANS || state == PQTRANS_INERROR
    }
}

/// The rows of one result, read in text format; freed when released.
final class PostgresRows {
    let result: OpaquePointer
    let count: Int32

    init(_ result: OpaquePointer) {
        self.result = result
        count = pq.PQntuples(result)
    }

    deinit { pq.PQclear(result) }

    /// How many rows an INSERT/UPDATE/DELETE touched.
    var affected: Int {
        guard let text = pq.PQcmdTuples(result) else { return 0 }
        return Int(strtoll(text, nil, 10))
    }

    func isNull(_ row: Int32, _ column: Int32) -> Bool { pq.PQgetisnull(result, row, column) != 0 }

    func text(_ row: Int32, _ column: Int32) -> String {
        guard let value = pq.PQgetvalue(result, row, column) else { return "" }
        let length = Int(pq.PQgetlength(result, row, column))
        return value.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    func optionalText(_ row: Int32, _ column: Int32) -> String? { isNull(row, column) ? nil : text(row, column) }

    func int(_ row: Int32, _ column: Int32) -> Int64 {
        guard let value = pq.PQgetvalue(result, row, column) else { return 0 }
        return strtoll(value, nil, 10)
    }

    func optionalInt(_ row: Int32, _ column: Int32) -> Int64? { isNull(row, column) ? nil : int(row, column) }

    func bool(_ row: Int32, _ column: Int32) -> Bool {
        guard let value = pq.PQgetvalue(result, row, column) else { return false }
        return value.pointee == CChar(UInt8(ascii: "t"))
    }

    /// A `bytea` in the text format's hex form ("\x0a1b…", PostgreSQL's default bytea_output).
    func bytes(_ row: Int32, _ column: Int32) -> [UInt8] {
        guard let value = pq.PQgetvalue(result, row, column) else { return [] }
        let length = Int(pq.PQgetlength(result, row, column))
        return value.withMemoryRebound(to: UInt8.self, capacity: length) { text in
            guard length >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x") else { return [] }
            var out: [UInt8] = []
            out.reserveCapacity((length - 2) / 2)
            var index = 2
            while index + 1 < length {
                out.append(Self.nibble(text[index]) << 4 | Self.nibble(text[index + 1]))
                index += 2
            }
            return out
        }
    }

    private static func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: 0
        }
    }
}
