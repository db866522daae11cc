import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// Connecting to PostgreSQL within a deadline of the library's own.
///
/// libpq's blocking connect waits up to `connect_timeout`, whole seconds and at least 2: a server
/// that accepts the TCP connection but never answers (a hung or SIGSTOPped server) would hold a
/// verification that long. Connecting without blocking (PQconnectStartParams / PQconnectPoll) lets
/// each caller bound the wait: a reader by the freshness bound, the listener by its own deadline
/// and its stop() wake-up.
enum PostgresConnect {
    /// What a caller's wait for the socket answered.
    enum Wait {
        case ready
        case timedOut
        /// The caller was asked to give up (the listener's stop()).
        case interrupted
    }

    /// Connects, waiting for the socket through `wait(socket, forWriting, timeoutMS)`, until the
    /// coarse monotonic clock reaches `deadlineNS`. Returns the connection, or why there is none.
    static func connect(_ settings: PostgresSettings, until deadlineNS: Int64,
                        wait: (Int32, Bool, Int32) -> Wait) -> Result<OpaquePointer, Failure> {
        guard let started = settings.withParameters({ keys, values in pq.PQconnectStartParams(keys, values, 1) }),
              let connection = started else {
            return .failure(Failure(message: "out of memory"))
        }
        var state = PGRES_POLLING_WRITING
        while true {
            if state == PGRES_POLLING_OK, pq.PQstatus(connection) == CONNECTION_OK {
                PostgresConnection.silenceNotices(connection)
                return .success(connection)
            }
            if state == PGRES_POLLING_FAILED || pq.PQstatus(connection) == CONNECTION_BAD {
                return .failure(finish(connection, PostgresError.text(pq.PQerrorMessage(connection))))
            }
            let remaining = deadlineNS - CommitSignal.coarseNowNS()
            let socket = pq.PQsocket(connection)
            guard remaining > 0, socket >= 0 else {
                return .failure(finish(connection, remaining > 0 ? PostgresError.text(pq.PQerrorMessage(connection))
                                                                 : "no answer while connecting (timed out)"))
            }
            if case .interrupted = wait(socket, state == PGRES_POLLING_WRITING,
                                        Int32(clamping: remaining / 1_000_000 + 1)) {
                return .failure(finish(connection, "interrupted", interrupted: true))
            }
            state = pq.PQconnectPoll(connection)
        }
    }

    /// Waits for one socket with poll(), with nothing else to wake it.
    static func pollSocket(_ socket: Int32, forWriting: Bool, timeoutMS: Int32) -> Wait {
        var fd = pollfd(fd: socket, events: Int16(forWriting ? POLLOUT : POLLIN), revents: 0)
        return Glibc.poll(&fd, 1, timeoutMS) > 0 ? .ready : .timedOut
    }

    /// Why a connection attempt failed.
    struct Failure: Error {
        let message: String
        var interrupted = false
    }

    private static func finish(_ connection: OpaquePointer, _ message: String, interrupted: Bool = false) -> Failure {
        pq.PQfinish(connection)
        return Failure(message: message, interrupted: interrupted)
    }
}
