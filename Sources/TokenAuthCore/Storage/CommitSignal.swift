import CSQLite
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A cheap fingerprint of "everything committed so far": it differs after any commit by any
/// connection, in any process. The verification index re-reads the change log only when it moved.
/// One concrete class (no existential on the hot path); what it reads depends on the database.
final class CommitSignal: @unchecked Sendable {
    private enum Kind {
        /// SQLite's WAL-index header in shared memory.
        case walIndex
        /// A counter this handle bumps after each commit (a database only it can write).
        case counter
        /// A counter bumped after each commit of this handle and on each notification of another
        /// host's commit (PostgreSQL LISTEN/NOTIFY); readable only while the notification
        /// connection was confirmed alive recently enough (`trust(untilNS:)`).
        case notified
        /// Nothing to read: the verification index stays off.
        case none
    }

    private let kind: Kind
    private let header: UnsafeRawPointer?
    private let counter = Atomic<UInt64>(0)
    /// `.notified`: until when (CLOCK_MONOTONIC_COARSE, ns) the counter may be trusted; 0: not.
    private let trustedUntil = Atomic<Int64>(0)

    private init(_ kind: Kind, header: UnsafeRawPointer? = nil) {
        self.kind = kind
        self.header = header
    }

    static func walIndex(of connection: SQLiteConnection) -> CommitSignal {
        WALIndexHeader.map(connection).map { CommitSignal(.walIndex, header: $0) } ?? CommitSignal(.none)
    }

    static func localCounter() -> CommitSignal { CommitSignal(.counter) }

    /// Starts untrusted: the listener calls `trust(untilNS:)` once it listens.
    static func notificationCounter() -> CommitSignal { CommitSignal(.notified) }

    /// Records a commit of this handle (only meaningful for a counter), or a notified one.
    func bump() {
        if kind == .counter || kind == .notified { counter.add(1, ordering: .releasing) }
    }

    /// `.notified`: every commit up to `deadlineNS - freshness` is known; 0 withdraws trust at once.
    func trust(untilNS deadlineNS: Int64) { trustedUntil.store(deadlineNS, ordering: .releasing) }

    /// CLOCK_MONOTONIC_COARSE in ns: a few ns through the vDSO, ticks of a few ms.
    static func coarseNowNS() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// nil when the signal cannot be read (every verification then reads the database).
    func fingerprint() -> CommitFingerprint? {
        switch kind {
        case .walIndex: header.map(WALIndexHeader.fingerprint)
        case .counter: CommitFingerprint(first: counter.load(ordering: .acquiring), second: 0)
        case .notified:
            trustedUntil.load(ordering: .acquiring) > Self.coarseNowNS()
                ? CommitFingerprint(first: counter.load(ordering: .acquiring), second: 0) : nil
        case .none: nil
        }
    }
}

struct CommitFingerprint: Equatable, Sendable {
    var first: UInt64
    var second: UInt64
}

/// The WAL-index header in SQLite's shared memory (the -shm file), through SQLite's own mapping of it
/// (`xShmMap` on the writer connection: no file descriptor of ours, so no POSIX-lock pitfalls).
/// Every commit rewrites that header — `iChange` is incremented, `mxFrame` moves, and a WAL restart
/// changes the salts (https://sqlite.org/walformat.html, "The WAL-Index Header") — so comparing it
/// detects every commit by every process without a system call. The mapping lives as long as the
/// connection it came from, which the store keeps open until it closes.
enum WALIndexHeader {
    /// Maps the header through `db`'s VFS; nil when the VFS has no shared-memory WAL index.
    static func map(_ db: SQLiteConnection) -> UnsafeRawPointer? {
        var file: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(db.handle, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK,
              let file, let methods = file.pointee.pMethods, methods.pointee.iVersion >= 2,
              let shmMap = methods.pointee.xShmMap else { return nil }
        var region: UnsafeMutableRawPointer?
        // Region 0, 32 KiB (SQLite's WALINDEX_PGSZ); bExtend=0: only an existing, initialised index.
        guard shmMap(file, 0, 32768, 0, &region) == SQLITE_OK, let region else { return nil }
        return UnsafeRawPointer(region)
    }

    static func fingerprint(_ header: UnsafeRawPointer) -> CommitFingerprint {
        // The first copy of the header: iChange (offset 8), mxFrame (16), salts (32), checksums (40).
        atomicMemoryFence(ordering: .acquiring)
        let change = UInt64(header.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let frame = UInt64(header.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        let salt = header.loadUnaligned(fromByteOffset: 32, as: UInt64.self)
        let checksum = header.loadUnaligned(fromByteOffset: 40, as: UInt64.self)
        return CommitFingerprint(first: change | frame << 32, second: salt ^ checksum)
    }
}
