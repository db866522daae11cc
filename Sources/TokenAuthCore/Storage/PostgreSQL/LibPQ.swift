import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// libpq, loaded on first use with `dlopen` rather than linked: a SQLite-only deployment of
/// libtokenauth needs neither libpq nor the TLS/Kerberos/LDAP libraries it pulls in. `pq` is the
/// table of its functions; `LibPQ.require()` must have succeeded before any of them is called.
enum LibPQ {
    /// The shared object, as Debian's libpq5 installs it.
    static let soname = "libpq.so.5"

    /// The loaded table, or why it could not be loaded; loaded once, thread-safely (a lazy global).
    private nonisolated(unsafe) static let loaded: Result<UnsafeMutablePointer<ta_libpq>, TokenAuthError> = {
        guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            return .failure(TokenAuthError(.storageError,
                "PostgreSQL needs \(soname) (Debian: apt-get install libpq5): \(reason)"))
        }
        let table = UnsafeMutablePointer<ta_libpq>.allocate(capacity: 1)
        do {
        table.pointee.PQclear = try symbol(handle, "PQclear", as: type(of: table.pointee.PQclear))
        table.pointee.PQcmdTuples = try symbol(handle, "PQcmdTuples", as: type(of: table.pointee.PQcmdTuples))
        table.pointee.PQconnectPoll = try symbol(handle, "PQconnectPoll", as: type(of: table.pointee.PQconnectPoll))
        table.pointee.PQconnectStartParams = try symbol(handle, "PQconnectStartParams", as: type(of: table.pointee.PQconnectStartParams))
        table.pointee.PQconninfoFree = try symbol(handle, "PQconninfoFree", as: type(of: table.pointee.PQconninfoFree))
        table.pointee.PQconninfoParse = try symbol(handle, "PQconninfoParse", as: type(of: table.pointee.PQconninfoParse))
        table.pointee.PQconsumeInput = try symbol(handle, "PQconsumeInput", as: type(of: table.pointee.PQconsumeInput))
        table.pointee.PQerrorMessage = try symbol(handle, "PQerrorMessage", as: type(of: table.pointee.PQerrorMessage))
        table.pointee.PQfinish = try symbol(handle, "PQfinish", as: type(of: table.pointee.PQfinish))
        table.pointee.PQfreemem = try symbol(handle, "PQfreemem", as: type(of: table.pointee.PQfreemem))
        table.pointee.PQgetResult = try symbol(handle, "PQgetResult", as: type(of: table.pointee.PQgetResult))
        table.pointee.PQgetisnull = try symbol(handle, "PQgetisnull", as: type(of: table.pointee.PQgetisnull))
        table.pointee.PQgetlength = try symbol(handle, "PQgetlength", as: type(of: table.pointee.PQgetlength))
        table.pointee.PQgetvalue = try symbol(handle, "PQgetvalue", as: type(of: table.pointee.PQgetvalue))
        table.pointee.PQisBusy = try symbol(handle, "PQisBusy", as: type(of: table.pointee.PQisBusy))
        table.pointee.PQnfields = try symbol(handle, "PQnfields", as: type(of: table.pointee.PQnfields))
        table.pointee.PQnotifies = try symbol(handle, "PQnotifies", as: type(of: table.pointee.PQnotifies))
        table.pointee.PQntuples = try symbol(handle, "PQntuples", as: type(of: table.pointee.PQntuples))
        table.pointee.PQresultErrorField = try symbol(handle, "PQresultErrorField", as: type(of: table.pointee.PQresultErrorField))
        table.pointee.PQresultErrorMessage = try symbol(handle, "PQresultErrorMessage", as: type(of: table.pointee.PQresultErrorMessage))
        table.pointee.PQresultStatus = try symbol(handle, "PQresultStatus", as: type(of: table.pointee.PQresultStatus))
        table.pointee.PQsendPrepare = try symbol(handle, "PQsendPrepare", as: type(of: table.pointee.PQsendPrepare))
        table.pointee.PQsendQuery = try symbol(handle, "PQsendQuery", as: type(of: table.pointee.PQsendQuery))
        table.pointee.PQsendQueryPrepared = try symbol(handle, "PQsendQueryPrepared", as: type(of: table.pointee.PQsendQueryPrepared))
        table.pointee.PQsetNoticeProcessor = try symbol(handle, "PQsetNoticeProcessor", as: type(of: table.pointee.PQsetNoticeProcessor))
        table.pointee.PQsocket = try symbol(handle, "PQsocket", as: type(of: table.pointee.PQsocket))
        table.pointee.PQstatus = try symbol(handle, "PQstatus", as: type(of: table.pointee.PQstatus))
        table.pointee.PQtransactionStatus = try symbol(handle, "PQtransactionStatus", as: type(of: table.pointee.PQtransactionStatus))
            return .success(table)
        } catch let error as TokenAuthError {
            return .failure(error)
        } catch {
            return .failure(TokenAuthError(.internalError, "loading libpq failed"))
        }
    }()

    /// Loads libpq if needed; throws TA_STORAGE_ERROR when it is not installed.
    static func require() throws {
        _ = try loaded.get()
    }

    /// The function table. Only valid after `require()` succeeded (every PostgreSQL path calls it
    /// before opening a connection); until then it points at an empty table.
    static var table: UnsafeMutablePointer<ta_libpq> {
        (try? loaded.get()) ?? empty
    }

    private nonisolated(unsafe) static let empty: UnsafeMutablePointer<ta_libpq> = {
        let table = UnsafeMutablePointer<ta_libpq>.allocate(capacity: 1)
        UnsafeMutableRawPointer(table).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<ta_libpq>.size)
        return table
    }()

    private static func symbol<T>(_ handle: UnsafeMutableRawPointer, _ name: String, as type: T.Type) throws -> T {
        guard let address = dlsym(handle, name) else {
            throw TokenAuthError(.storageError, "\(soname) has no \(name): the installed libpq is too old")
        }
        return unsafeBitCast(address, to: T.self)
    }
}

/// The libpq function table (see `LibPQ`).
var pq: ta_libpq { LibPQ.table.pointee }
