import Synchronization

/// One open token database: the whole behaviour of the C ABI, in Swift. Thread-safe; `close` must not
/// race with other calls.
public final class TokenStore: Sendable {
    let backend: any StorageBackend
    let configuration: StoreConfiguration
    let format: TokenFormat
    let clock = StoreClock()
    let usage = UsageRecorder()
    private let usageWriter: UsageWriter
    let index: TokenIndex
    let limiter: RateLimiter
    /// Holds the parts above without owning them.
    private let verifier: Verifier
    private let catalogMemo = Locked<(version: Int64, catalog: ScopeCatalog)?>(nil)
    private let flusher: Locked<PeriodicTask?> = Locked(nil)
    /// Leases and returns a fleet's rate-limit shares (PostgreSQL only).
    private let reconciler: Locked<PeriodicTask?> = Locked(nil)
    /// The process generation the store was opened in (`ProcessFork`).
    private let generation: Int
    /// Set by the first `close`; a second one does nothing.
    private let closed = Atomic<Bool>(false)

    /// Opens (creating if needed) the database at `path`; ":memory:" gives a private in-memory store.
    /// The longest path accepted (Linux's PATH_MAX).
    static let maximumPathBytes = 4096

    public static func open(path: String, configuration: StoreConfiguration = StoreConfiguration()) throws -> TokenStore {
        if let prefix = configuration.tokenPrefix, !TokenFormat.isValidPrefix(prefix) {
            throw TokenAuthError.invalid("token_prefix must be 2..8 lowercase ASCII letters")
        }
        guard !path.isEmpty else { throw TokenAuthError.invalid("path is empty") }
        guard path.utf8.count <= maximumPathBytes else {
            throw TokenAuthError.invalid("path is longer than \(maximumPathBytes) bytes")
        }
        let generation = try ProcessFork.storeOpening()
        let backend: any StorageBackend
        do {
            // A postgresql:// or postgres:// URI opens the fleet backend; anything else is a SQLite path.
            backend = try PostgresBackend.handles(path)
                ? PostgresBackend(uri: path, requestedPrefix: configuration.tokenPrefix, busyTimeoutMS: configuration.busyTimeout)
                : SQLiteBackend(path: path, requestedPrefix: configuration.tokenPrefix, busyTimeoutMS: configuration.busyTimeout)
        } catch {
            ProcessFork.storeClosed()
            throw error
        }
        do {
            let store = try TokenStore(backend: backend, configuration: configuration, generation: generation)
            try store.startFlusher()
            return store
        } catch {
            backend.close()
            ProcessFork.storeClosed()
            throw error
        }
    }

    private init(backend: any StorageBackend, configuration: StoreConfiguration, generation: Int) throws {
        self.generation = generation
        self.backend = backend
        self.configuration = configuration
        format = TokenFormat(prefix: backend.tokenPrefix)
        index = try TokenIndex(backend: backend, usage: usage)
        limiter = RateLimiter(databasePath: backend.databaseFile, fleet: backend as? any FleetBudget,
                              slots: configuration.rateLimitSlots)
        usageWriter = UsageWriter(recorder: usage, index: index, backend: backend,
                                  rowsPerTransaction: max(1, configuration.usageRowsPerTransaction))
        verifier = Verifier(index: index, format: format, limiter: limiter, usage: usage, clock: clock)
    }

    private func startFlusher() throws {
        // The thread holds the writer and the index, not the store: no reference cycle, and no weak
        // reference to the store (which would put every retain of it on the runtime's slow path).
        let writer = usageWriter
        let index = index
        let graces = GraceEnds(backend: backend, clock: clock)
        let unshared = limiter.unshared
        let backend = backend
        let task = PeriodicTask(intervalMS: configuration.flushIntervalMS) {
            try? writer.flush(paced: true)
            try? index.maintainFilter()
            _ = try? graces.recordDue()
            try? unshared.flush(to: backend)
        }
        guard task.start() else { throw TokenAuthError(.internalError, "cannot start the usage flush thread") }
        flusher.withLock { $0 = task }
        guard let fleet = limiter.fleet else { return }
        let clock = clock
        let shares = PeriodicTask(intervalMS: FleetShares.reconcileIntervalMS) {
            try? fleet.reconcile(now: clock.windowNowNS, nowUS: clock.pinnedUS)
        }
        guard shares.start() else { throw TokenAuthError(.internalError, "cannot start the rate-limit thread") }
        reconciler.withLock { $0 = shares }
    }

    /// Writes all usage still held in memory. On failure the batch is kept for the next flush.
    public func flush() throws { try usageWriter.flush() }

    /// Throws unless the store was opened by this process (not by one that then forked it).
    public func checkOwnedByThisProcess() throws {
        guard ProcessFork.isCurrent(generation) else { throw ProcessFork.inheritedHandle }
    }

    /// Stops the flush thread, writes what is left, and closes the database. A handle opened before
    /// this process was forked is abandoned instead: nothing is joined, written or closed, and its
    /// memory is never freed (`ProcessFork`).
    public func close() {
        guard ProcessFork.isCurrent(generation) else {
            _ = Unmanaged.passRetained(self) // the one reference that keeps the parent's state untouched
            return
        }
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        defer { ProcessFork.storeClosed() }
        let task = flusher.withLock { task -> PeriodicTask? in
            defer { task = nil }
            return task
        }
        usageWriter.hurry()
        task?.stop()
        try? flush()
        try? limiter.unshared.flush(to: backend)
        reconciler.withLock { task in
            task?.stop()
            task = nil
        }
        try? limiter.fleet?.giveBack(now: clock.windowNowNS, nowUS: clock.pinnedUS, all: true)
        backend.close()
    }

    /// For tests: pins the store's clock at `nowMS` (0 returns it to the wall clock).
    public func setClock(_ nowMS: Int64) { clock.pin(nowMS) }

    /// Verifies a credential (a bare token or an Authorization header value) and the required
    /// scopes (space-separated scope names; nil or empty for none) on `resource` (the resource the
    /// request touches; nil or empty: none, where only grants on every resource count).
    public func verify(credential: UnsafeRawBufferPointer?, requiredScopes: UnsafeRawBufferPointer?,
                       resource: UnsafeRawBufferPointer? = nil) -> Verdict {
        Verdict.collect { verify(credential: credential, requiredScopes: requiredScopes, resource: resource, text: $0) }
    }

    /// The same, writing the verdict's text into `text`'s buffers (no String built: the C ABI's path).
    public func verify(credential: UnsafeRawBufferPointer?, requiredScopes: UnsafeRawBufferPointer?,
                       resource: UnsafeRawBufferPointer? = nil, text: VerdictText) -> VerdictFacts {
        guard ProcessFork.isCurrent(generation) else { return VerdictFacts(status: .storageError) }
        return verifier.verify(credential: credential, requiredScopes: requiredScopes, resource: resource, text: text)
    }

    /// The same answer as `verify` without side effects: no rate-limit unit spent, no use or denial
    /// recorded. For operators looking at a token (e.g. a leaked one), never for gateways.
    public func inspect(credential: UnsafeRawBufferPointer?, requiredScopes: UnsafeRawBufferPointer? = nil,
                        resource: UnsafeRawBufferPointer? = nil) -> Verdict {
        Verdict.collect { verifier.verify(credential: credential, requiredScopes: requiredScopes, resource: resource, text: $0, counting: false) }
    }

    /// The prefix of this store's tokens ("tka" unless the database was created with another).
    public var tokenPrefix: String { backend.tokenPrefix }

    /// Bounds the verification index to `entries` tokens (0 turns it off).
    public func setIndexCapacity(_ entries: Int) { index.setCapacity(entries) }

    // MARK: shared by the management calls

    /// The catalog as of `reader`'s snapshot, parsed once per catalog version.
    func catalog(in reader: any StorageReader) throws -> ScopeCatalog {
        let version = try reader.catalogVersion()
        if let memo = catalogMemo.withLock({ $0 }), memo.version == version { return memo.catalog }
        let catalog = try reader.catalog()
        catalogMemo.withLock { $0 = (version, catalog) }
        return catalog
    }

    /// Resolves the actor of a call; a member that does not exist or is inactive is refused.
    func resolveActor(_ id: String?, in reader: any StorageReader, tokenID: String? = nil) throws -> Actor {
        guard let id else { return .host }
        guard let member = try reader.member(id), member.active else {
            throw TokenAuthError(.permissionDenied, "actor \"\(id)\" is not an active member",
                                 iamDenial: IAMDenial(actor: id, tokenID: tokenID))
        }
        return .member(member)
    }

    /// Runs a call and, if IAM refused it, audits the refusal as `iam.denied`, aggregated per
    /// (actor, action, token, UTC minute) so that probing cannot grow the log without bound.
    func auditingRefusals<T>(_ action: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as TokenAuthError {
            if let denial = error.iamDenial {
                let now = clock.nowMS
                let record = AuditRecord(at: now, event: "iam.denied", actor: denial.actor, tokenID: denial.tokenID,
                                         memberID: nil, detail: .object([("action", .string(action))]))
                let key = "iam|\(denial.actor)|\(action)|\(denial.tokenID ?? "")|\(UsageRecorder.minute(of: now))"
                try? backend.write(.normal) { try $0.aggregateAudit(record, key: key, count: 1, firstAt: now, lastAt: now) }
            }
            throw error
        }
    }

    static func permissionDenied(_ message: String, actor: Actor, tokenID: String?) -> TokenAuthError {
        TokenAuthError(.permissionDenied, message, iamDenial: IAMDenial(actor: actor.auditName, tokenID: tokenID))
    }

    static func noSuchToken(_ id: String, hiddenFrom actor: Actor? = nil) -> TokenAuthError {
        TokenAuthError(.notFound, "no token with id \"\(id)\" is visible to this actor",
                       iamDenial: actor.map { IAMDenial(actor: $0.auditName, tokenID: id) })
    }
}
