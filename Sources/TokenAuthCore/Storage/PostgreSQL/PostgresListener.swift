import CLibPQ
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The notification connection of one PostgreSQL store handle, on a thread of its own.
///
/// Every write that changes what a verification may answer notifies the channel `tokenauth` on
/// commit (payload "<change seq> <schema>"). This thread LISTENs on a dedicated connection and
/// bumps the handle's commit signal for each notification of its schema; the index then reads the
/// change log and drops exactly what changed, as with SQLite's shared memory.
///
/// Acknowledgements: the thread's only query is "my index knows every change up to seq N"
/// (a row of the unlogged table `listeners`, keyed by the connection's backend pid), sent after
/// each batch of notifications and at least every third of the freshness bound. A writer that
/// committed change N waits until every live listener of the schema acknowledged N (or the bound
/// passed: see below) before its call returns, so that the next verification on any host
/// refuses a revoked token — not only the next one after some propagation delay.
///
/// Freshness is never assumed: each acknowledgement is also a heartbeat, and its answer lets the
/// index be trusted until `sent + bound` (a server sends a session its notifications before the
/// answer to its next query, so every notification committed before the query was sent has been
/// processed by then). When the connection breaks or an answer is late, trust is withdrawn at
/// once (verifications then read the database, and fail with TA_STORAGE_ERROR if it cannot be
/// reached); on reconnection the thread LISTENs first, then bumps the signal — so the index
/// re-validates everything it holds against the change log (or drops it all, when the log no
/// longer reaches back) — and only then trusts it again. So a host that has not acknowledged a
/// change within the bound after its commit no longer trusts its index, which is why a writer
/// never needs to wait longer. Every wait is a poll() that close() can interrupt.
final class PostgresListener: @unchecked Sendable {
    private let settings: PostgresSettings
    private let signal: CommitSignal
    private let schema: String
    private let freshnessNS: Int64
    /// The highest change seq this handle's index is known to cover (notified, or in the log
    /// when the thread last LISTENed), and the highest one acknowledged to the server.
    private var known: Int64 = 0
    private var acknowledged: Int64 = 0
    /// The query in flight: when it was sent and what it acknowledges.
    private var inFlight: (sent: Int64, value: Int64)?
    /// The single integer of the last query's result, when it had one.
    private var lastValue: Int64?
    /// The thread's connection; only the thread touches it once started.
    private var connection: OpaquePointer?
    private var thread: pthread_t?
    /// A pipe whose read end wakes the thread's poll() for stop().
    private var wake: (read: Int32, write: Int32) = (-1, -1)
    private let stopping = Atomic<Bool>(false)
    /// Why the last connection or query failed (for the error of a failed open).
    private var lastError = ""

    /// Connects and LISTENs (so that an unreachable server fails `ta_open`), trusting the index.
    init(settings: PostgresSettings, signal: CommitSignal, schema: String) throws {
        self.settings = settings
        self.signal = signal
        self.schema = schema
        freshnessNS = settings.freshnessMS * 1_000_000
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw TokenAuthError(.internalError, "cannot create the listener's wake-up pipe")
        }
        wake = (fds[0], fds[1])
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        // (A throw from here on runs deinit, which closes the pipe and the connection.)
        let deadline = Self.now() + Int64(max(settings.busyTimeoutMS, 5000)) * 1_000_000
        guard let connection = connect(until: deadline) else {
            throw TokenAuthError(.storageError, "cannot connect to PostgreSQL for notifications: \(lastError)")
        }
        self.connection = connection
        guard listen(connection, until: deadline) else {
            throw TokenAuthError(.storageError, "cannot LISTEN on PostgreSQL: \(lastError)")
        }
    }

    deinit {
        if let connection { pq.PQfinish(connection) }
        close(wake.read)
        close(wake.write)
    }

    /// Starts the thread; false if the system refused to create one.
    func start() -> Bool {
        var handle = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&handle, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<PostgresListener>.fromOpaque(raw).takeRetainedValue().loop()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<PostgresListener>.fromOpaque(context).release()
            return false
        }
        thread = handle
        return true
    }

    /// Withdraws trust, wakes the thread and joins it; no notification is processed afterwards.
    func stop() {
        signal.trust(untilNS: 0)
        stopping.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    static func now() -> Int64 { CommitSignal.coarseNowNS() }

    // MARK: the thread

    private func loop() {
        var backoffMS: Int32 = 50
        let heartbeatNS = max(freshnessNS / 3, 10_000_000)
        var nextHeartbeat = Self.now() + heartbeatNS
        while !stopping.load(ordering: .acquiring) {
            guard let connection else {
                signal.trust(untilNS: 0)
                if waitForWake(timeoutMS: backoffMS) { break }
                backoffMS = min(backoffMS * 2, 1000)
                let deadline = Self.now() + 10_000_000_000
                guard let fresh = connect(until: deadline) else { continue }
                self.connection = fresh
                if listen(fresh, until: deadline) {
                    backoffMS = 50
                    nextHeartbeat = Self.now() + heartbeatNS
                } else {
                    drop()
                }
                continue
            }
            let now = Self.now()
            let dueNS = inFlight.map { $0.sent + freshnessNS } ?? nextHeartbeat
            let timeoutMS = Int32(clamping: max((dueNS - now) / 1_000_000, 0) + 1)
            let (readable, woken) = poll(pq.PQsocket(connection), timeoutMS: known > acknowledged && inFlight == nil ? 0 : timeoutMS)
            if woken { break }
            if readable {
                guard pq.PQconsumeInput(connection) != 0 else { drop(); continue }
                drainNotifications(connection)
            }
            if let query = inFlight {
                switch collect(connection) {
                case .busy:
                    if Self.now() > query.sent + freshnessNS {
                        lastError = "no answer from PostgreSQL within \(settings.freshnessMS) ms"
                        drop()
                    }
                    continue
                case .failed:
                    drop()
                    continue
                case .done:
                    drainNotifications(connection)
                    signal.trust(untilNS: query.sent + freshnessNS)
                    acknowledged = max(acknowledged, query.value)
                    inFlight = nil
                    nextHeartbeat = query.sent + heartbeatNS
                }
            }
            if known > acknowledged || Self.now() >= nextHeartbeat {
                guard send(connection, Self.acknowledgement(known)) else { drop(); continue }
            }
        }
        signal.trust(untilNS: 0)
    }

    /// Records (or refreshes) this connection's row: its index covers every change up to `seq`.
    private static func acknowledgement(_ seq: Int64) -> String {
        "INSERT INTO listeners(pid, heard) VALUES(pg_backend_pid(), \(seq)) ON CONFLICT(pid) DO UPDATE SET heard = excluded.heard"
    }

    private func send(_ connection: OpaquePointer, _ sql: String) -> Bool {
        let sent = Self.now()
        guard pq.PQsendQuery(connection, sql) != 0 else {
            lastError = PostgresError.text(pq.PQerrorMessage(connection))
            return false
        }
        inFlight = (sent, known)
        return true
    }

    /// Withdraws trust and closes the connection; the loop reconnects.
    private func drop() {
        signal.trust(untilNS: 0)
        if let connection {
            if lastError.isEmpty { lastError = PostgresError.text(pq.PQerrorMessage(connection)) }
            pq.PQfinish(connection)
        }
        connection = nil
        inFlight = nil
    }

    private func drainNotifications(_ connection: OpaquePointer) {
        while let notification = pq.PQnotifies(connection) {
            defer { pq.PQfreemem(notification) }
            guard let extra = notification.pointee.extra else { continue }
            let payload = String(cString: extra)
            let parts = payload.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[1] == Substring(schema), let seq = Int64(parts[0]) else { continue }
            signal.bump()
            known = max(known, seq)
        }
    }

    private enum Collected { case busy, done, failed }

    /// Reads what has arrived of the pending query's results without blocking.
    private func collect(_ connection: OpaquePointer) -> Collected {
        while pq.PQisBusy(connection) == 0 {
            guard let result = pq.PQgetResult(connection) else { return .done }
            let status = pq.PQresultStatus(result)
            if status != PGRES_TUPLES_OK, status != PGRES_COMMAND_OK {
                lastError = PostgresError.text(pq.PQresultErrorMessage(result))
                pq.PQclear(result)
                // Read the rest so that the connection could be reused; it is dropped anyway.
                return .failed
            }
            lastValue = status == PGRES_TUPLES_OK && pq.PQntuples(result) == 1 && pq.PQnfields(result) == 1
                ? pq.PQgetvalue(result, 0, 0).map { strtoll($0, nil, 10) } : nil
            pq.PQclear(result)
        }
        return .busy
    }

    /// LISTEN; read how far the change log goes (everything committed before the LISTEN is in it,
    /// everything after will be notified); bump, so that the index re-validates against the log;
    /// acknowledge (clearing rows of listeners whose sessions are gone); only then trust.
    private func listen(_ connection: OpaquePointer, until deadline: Int64) -> Bool {
        let sent = Self.now()
        guard exchange(connection, "SET synchronous_commit TO off; LISTEN \(PostgresSchema.channel)", until: deadline),
              exchange(connection, "SELECT coalesce(max(seq), 0) FROM changes", until: deadline), let latest = lastValue
        else { return false }
        signal.bump()
        known = max(known, latest)
        guard exchange(connection, "DELETE FROM listeners WHERE pid NOT IN (SELECT pid FROM pg_stat_activity); "
                           + Self.acknowledgement(known), until: deadline) else { return false }
        acknowledged = known
        signal.trust(untilNS: sent + freshnessNS)
        lastError = ""
        return true
    }

    /// Sends `sql` and waits for its results (interruptible by stop()); false on any failure.
    private func exchange(_ connection: OpaquePointer, _ sql: String, until deadline: Int64) -> Bool {
        lastValue = nil
        guard pq.PQsendQuery(connection, sql) != 0 else {
            lastError = PostgresError.text(pq.PQerrorMessage(connection))
            return false
        }
        while true {
            switch collect(connection) {
            case .done:
                drainNotifications(connection)
                return true
            case .failed: return false
            case .busy:
                let remaining = deadline - Self.now()
                guard remaining > 0 else { lastError = "PostgreSQL did not answer in time"; return false }
                let (readable, woken) = poll(pq.PQsocket(connection), timeoutMS: Int32(clamping: remaining / 1_000_000 + 1))
                if woken { return false }
                if readable, pq.PQconsumeInput(connection) == 0 {
                    lastError = PostgresError.text(pq.PQerrorMessage(connection))
                    return false
                }
            }
        }
    }

    /// Connects without blocking, so stop() can interrupt it.
    private func connect(until deadline: Int64) -> OpaquePointer? {
        let result = PostgresConnect.connect(settings, until: deadline) { socket, forWriting, timeoutMS in
            poll(socket, forWriting: forWriting, timeoutMS: timeoutMS).woken ? .interrupted : .ready
        }
        switch result {
        case .success(let connection): return connection
        case .failure(let failure):
            if !failure.interrupted { lastError = failure.message }
            return nil
        }
    }

    /// Waits until `socket` is ready (or the timeout passes); `woken` when stop() was called.
    private func poll(_ socket: Int32, forWriting: Bool = false, timeoutMS: Int32) -> (ready: Bool, woken: Bool) {
        var fds = [pollfd(fd: socket, events: Int16(forWriting ? POLLOUT : POLLIN), revents: 0),
                   pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        let count = Glibc.poll(&fds, 2, timeoutMS)
        if stopping.load(ordering: .acquiring) { return (false, true) }
        guard count > 0 else { return (false, false) }
        return (fds[0].revents != 0, fds[1].revents != 0)
    }

    private func waitForWake(timeoutMS: Int32) -> Bool {
        var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        _ = Glibc.poll(&fds, 1, timeoutMS)
        return stopping.load(ordering: .acquiring)
    }
}
