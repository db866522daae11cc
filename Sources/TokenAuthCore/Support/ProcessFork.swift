import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What survives `fork()`: a child gets a copy of the parent's memory and only the forking thread.
/// While a store is open, that memory describes things the child does not have: the handle's
/// background threads; SQLite's per-file lock bookkeeping, which says the process holds locks that
/// belong to the parent's connections (a new connection in the child would trust locks it does not
/// hold, and a writer elsewhere could then check a WAL away under it); locks that another thread
/// held at the instant of the fork, such as the Swift runtime's metadata cache, which stay locked
/// in the child forever (a new handle there has been seen to hang on its first flush).
///
/// So the rule: a process opens its stores after forking, or closes them all before. A child
/// forked while any store was open (and any process forked from it) refuses to open one, and a
/// handle that came across a fork refuses every call; closing it abandons it (nothing is closed
/// or joined: that would reach into the parent's connections, or wait for a thread that does not
/// exist here). A child forked after every store was closed starts clean: closing joins the
/// threads and SQLite then forgets the file.
enum ProcessFork {
    /// Stores open (or opening) in this process.
    private static let openStores = Atomic<Int>(0)
    /// How many forks with a store open lie between this process and its ancestor that opened them:
    /// 0 in a process that may open stores.
    private static let generation = Atomic<Int>(0)
    /// The pid of the process that forked this one while a store was open (0: none).
    private static let forkedFrom = Atomic<Int32>(0)

    private static let handlerInstalled: Bool = {
        pthread_atfork(nil, nil, { ProcessFork.inChild() }) == 0
    }()

    /// Runs in the child right after fork(), before fork() returns there.
    private static func inChild() {
        guard openStores.load(ordering: .relaxed) > 0 || generation.load(ordering: .relaxed) > 0 else { return }
        generation.add(1, ordering: .relaxed)
        forkedFrom.store(getppid(), ordering: .relaxed)
        openStores.store(0, ordering: .relaxed)
    }

    /// Counts a store as opening and returns this process's generation, for `isCurrent`; throws in
    /// a process forked while a store was open. Every success is paired with `storeClosed`.
    static func storeOpening() throws -> Int {
        _ = handlerInstalled
        openStores.add(1, ordering: .relaxed)
        let current = generation.load(ordering: .relaxed)
        guard current == 0 else {
            openStores.subtract(1, ordering: .relaxed)
            throw TokenAuthError(.storageError, """
                this process was forked (by pid \(forkedFrom.load(ordering: .relaxed))) while a libtokenauth store \
                was open there: the library's threads, SQLite's locks and the runtime's locks do not survive \
                fork(), so no store can be opened here. Open stores after forking (as nginx and gunicorn \
                workers do), or close them all before
                """)
        }
        return current
    }

    /// Uncounts a store that `storeOpening` counted (when it closes, or fails to open).
    static func storeClosed() { openStores.subtract(1, ordering: .relaxed) }

    /// True when a store opened in `generation` belongs to this process (not to one it was forked from).
    @inline(__always)
    static func isCurrent(_ generation: Int) -> Bool { Self.generation.load(ordering: .relaxed) == generation }

    /// The refusal of a call on a handle opened before this process was forked.
    static var inheritedHandle: TokenAuthError {
        TokenAuthError(.storageError, """
            this handle was opened by pid \(forkedFrom.load(ordering: .relaxed)) before it forked this process; \
            it cannot be used here (its threads and connections belong to the parent). Open stores after forking
            """)
    }
}
