import Synchronization

/// The in-memory verification index of one store handle: tokens seen, keyed by digest, and digests
/// known not to exist. It is consulted before SQLite and is never stale: before each use it compares
/// the commit fingerprint (a few loads from SQLite's shared memory), and when anything committed, in
/// any process, it reads the change log and drops exactly what changed — no time-to-live window.
/// Sharded so that verifying threads rarely meet; writers never take its locks.
final class TokenIndex: Sendable {
    private struct Shard: ~Copyable {
        var tokens = TokenTable()
        var absent: Set<Digest> = []
        /// The same filter in every shard (read under the shard's lock, replaced under all of them).
        var filter: DigestFilter?
        /// The catalog that every entry's scope positions refer to, and its plain view.
        var scopes: ScopeIndex
        var lookup: ScopeLookup

        init(scopes: ScopeIndex) {
            self.scopes = scopes
            lookup = scopes.lookup
        }
    }

    private struct RefreshState {
        var applied: Int64
        var fingerprint: CommitFingerprint?
        var scopes: ScopeIndex
        /// The filter being kept up to date with the change log (nil until the first is built).
        var filter: DigestFilter?
    }

    /// Enough shards that threads rarely take a lock another took a moment ago (the lock's cache
    /// line would move between cores), few enough that every shard's mutex and table header stay in
    /// the core's cache (256 x 2 x 128 bytes = 64 KiB): with 1,024 shards, each verification at a
    /// million tokens missed the cache for them as well as for its slot and entry.
    static let shardCount = 256
    static let defaultCapacity = 1_000_000
    /// Digests remembered as unknown, per shard (262,144 in all): enough to absorb the repeats of a
    /// flood of random guesses that got past the digest filter.
    static let absentPerShard = 1024
    /// Queued entries drained per shard lock acquisition (a few microseconds of holding it).
    static let drainRun = 32

    private let backend: any StorageBackend
    /// Owned by the store (and its usage writer), which outlive the index's use of it; not retained,
    /// so that verifying threads write no shared reference count.
    private unowned(unsafe) let usage: UsageRecorder
    private let subjects = SubjectNames()
    /// The backend's commit signal, held directly so the hot path does not go through an existential.
    private let signal: CommitSignal
    private let shards: ShardedLocked<Shard>
    private let refresh: Locked<RefreshState>
    /// The fingerprint the index is fresh for (two words; a torn read only causes a needless refresh).
    private let freshFirst = Atomic<UInt64>(0)
    private let freshSecond = Atomic<UInt64>(0)
    private let freshValid = Atomic<Bool>(false)
    /// The change-log position whose invalidations have started: a lookup read from an older snapshot
    /// must not be cached, or it could resurrect what those invalidations dropped.
    private let invalidatedThrough = Atomic<Int64>(0)
    private let capacity = Atomic<Int>(defaultCapacity)
    /// Whether `maintainFilter` should (re)build the digest filter.
    private let filterWanted = Atomic<Bool>(true)
    /// How many verifications had to ask the database (for tests and diagnostics).
    let databaseLookups = Atomic<Int>(0)

    init(backend: any StorageBackend, usage: UsageRecorder) throws {
        self.backend = backend
        self.usage = usage
        signal = backend.commitSignal
        let start = try backend.read { reader in
            (catalog: try reader.catalog(), version: try reader.catalogVersion(),
             applied: try reader.latestChange())
        }
        let scopes = ScopeIndex(catalog: start.catalog, version: start.version)
        shards = ShardedLocked(count: Self.shardCount) { Shard(scopes: scopes) }
        refresh = Locked(RefreshState(applied: start.applied, fingerprint: nil, scopes: scopes))
        invalidatedThrough.store(start.applied, ordering: .relaxed)
    }

    /// At most `entries` tokens are kept (0: the index is off and every verification reads SQLite).
    /// (A size_t too large for Int arrives negative: it means "no bound".)
    func setCapacity(_ entries: Int) {
        capacity.store(entries < 0 ? Int.max : entries, ordering: .relaxed)
        if entries == 0 { dropAll() }
    }

    var count: Int {
        var total = 0
        shards.forEach { total += $0.tokens.count }
        return total
    }

    enum Answer<Result> {
        case token(Result)
        case unknown
    }

    /// Looks `digest` up — in memory when fresh, else in the database, remembering the answer — and
    /// runs `body` on the token with the scope positions its sets refer to. An indexed token is
    /// handed over in place under its shard's lock (its usage counts stay in it until the flush);
    /// a token that cannot be indexed is a copy whose counts go to the usage buffer afterwards.
    func withToken<R>(_ digest: Digest, _ body: (inout IndexedToken, ScopeLookup) -> R) throws -> Answer<R> {
        let usable = try makeFresh()
        let shard = Self.shard(of: digest)
        if usable {
            let hit: Answer<R>? = shards.withShard(shard) { table in
                if let index = table.tokens.find(digest) { return visit(index, in: &table, body).map(Answer.token) }
                if let filter = table.filter, filter.isReady, !filter.mayContain(digest) { return .unknown }
                return table.absent.contains(digest) ? .unknown : nil
            }
            if let hit { return hit }
        }
        databaseLookups.add(1, ordering: .relaxed)
        let found = try digest.bytes.withUnsafeBytes { try backend.lookup(digest: $0) }
        guard let token = found.token, digest.matches(token.digest) else {
            if usable { remember(absent: digest, in: shard, readAt: found.changeSeq) }
            return .unknown
        }
        let scopes = try scopeIndex(atLeast: token.catalogVersion)
        let owner = token.ownerRemoved ? "" : subjects.intern(token.owner ?? "")
        guard var entry = IndexedToken(token, scopes: scopes, owner: owner) else {
            throw TokenAuthError(.storageError, "a token id in the database is longer than \(TokenID.capacity) bytes")
        }
        if usable, scopes.version == token.catalogVersion,
           let result = remember(entry, catalogVersion: scopes.version, in: shard, readAt: found.changeSeq, body) {
            return .token(result)
        }
        let result = withExtendedLifetime(scopes) { body(&entry, scopes.lookup) }
        usage.retire(&entry, names: scopes.lookup.names(in:))
        return .token(result)
    }

    /// Whether the token with `digest` is in the index as of the latest commit (false when the index
    /// is off, or the token was never seen, evicted, changed or deleted: then ask the database).
    func holds(_ digest: Digest) throws -> Bool {
        guard try makeFresh() else { return false }
        return shards.withShard(Self.shard(of: digest)) { $0.tokens.find(digest) != nil }
    }

    /// Moves the usage counts of the indexed tokens with `digests` into `batch` (tokens no longer
    /// indexed handed theirs to the usage buffer when they left).
    /// `digests` are grouped by shard first, and each shard's lock is taken once for up to `drainRun`
    /// of them: taken once per digest, the locks' cache lines went back and forth between
    /// the flusher's core and the verifying threads' for the whole of a large drain. Only plain
    /// values are copied under a lock; the strings and dictionaries of the batch are built after it
    /// is released (a batch dictionary growing under a shard lock once stalled the verifications of
    /// that shard for tens of milliseconds at a million tokens).
    func takeUsage(of queued: [Digest], into batch: inout PendingUsage) {
        let digests = queued.sorted { Self.shard(of: $0) < Self.shard(of: $1) }
        batch.tokens.reserveCapacity(batch.tokens.count + digests.count)
        var taken: [(uses: TakenUses, scopes: ScopeIndex)] = []
        taken.reserveCapacity(Self.drainRun)
        var start = 0
        while start < digests.count {
            let shard = Self.shard(of: digests[start])
            var end = start + 1
            while end < digests.count, end - start < Self.drainRun, Self.shard(of: digests[end]) == shard { end += 1 }
            shards.withShard(shard) { table in
                let scopes = table.scopes
                for digest in digests[start..<end] {
                    guard let index = table.tokens.find(digest) else { continue }
                    let uses = table.tokens.update(index) { entry in
                        entry.isQueued = false
                        return entry.takeUses()
                    } ?? nil
                    if let uses { taken.append((uses: uses, scopes: scopes)) }
                }
            }
            for (uses, scopes) in taken {
                let counts = withExtendedLifetime(scopes) { uses.usage(names: scopes.lookup.names(in:)) }
                batch.tokens[uses.id.string, default: TokenUsage()].merge(counts)
            }
            taken.removeAll(keepingCapacity: true)
            start = end
        }
    }

    /// Runs `body` on the entry at `index` of `table`, then queues the entry for the flush if this
    /// was its first use since the last drain.
    private func visit<R>(_ index: Int, in table: inout Shard, _ body: (inout IndexedToken, ScopeLookup) -> R) -> R? {
        let lookup = table.lookup
        let visited = table.tokens.update(index) { entry -> (result: R, queue: (Digest, TokenID)?) in
            let result = body(&entry, lookup)
            guard entry.hasUses, !entry.isQueued else { return (result, nil) }
            entry.isQueued = true
            return (result, (entry.digest, entry.id))
        }
        guard let visited else { return nil }
        if let (digest, id) = visited.queue { usage.enqueue(digest, id: id) }
        return visited.result
    }

    private static func shard(of digest: Digest) -> Int { Int(truncatingIfNeeded: digest.w1 % UInt64(shardCount)) }

    /// Indexes `entry` (unless a newer invalidation or catalog came first) and runs `body` on it.
    private func remember<R>(_ entry: IndexedToken, catalogVersion: Int64, in shard: Int, readAt seq: Int64,
                             _ body: (inout IndexedToken, ScopeLookup) -> R) -> R? {
        // Shards fill unevenly: each may hold a quarter more than its share before it evicts.
        let limit = max(1, capacity.load(ordering: .relaxed) / Self.shardCount * 5 / 4)
        return shards.withShard(shard) { table in
            guard seq >= invalidatedThrough.load(ordering: .acquiring), table.scopes.version == catalogVersion else {
                return nil
            }
            let index: Int
            if let existing = table.tokens.find(entry.digest) {
                index = existing // another thread indexed it meanwhile, from as fresh a snapshot
            } else {
                if table.tokens.count >= limit, var victim = table.tokens.evictOne() {
                    usage.retire(&victim, names: table.lookup.names(in:))
                }
                index = table.tokens.insert(entry)
            }
            return visit(index, in: &table, body)
        }
    }

    private func remember(absent digest: Digest, in shard: Int, readAt seq: Int64) {
        shards.withShard(shard) { table in
            guard seq >= invalidatedThrough.load(ordering: .acquiring) else { return }
            if table.absent.count >= Self.absentPerShard { table.absent.removeAll(keepingCapacity: true) }
            table.absent.insert(digest)
        }
    }

    /// Brings the index up to the latest commit; false when it cannot be used at all (no commit
    /// signal, or capacity 0).
    private func makeFresh() throws -> Bool {
        guard capacity.load(ordering: .relaxed) > 0, let now = signal.fingerprint() else { return false }
        if freshValid.load(ordering: .acquiring), freshFirst.load(ordering: .acquiring) == now.first,
           freshSecond.load(ordering: .acquiring) == now.second {
            return true
        }
        try refresh.withLock { state in
            // Read the fingerprint before the log: a commit after this point moves it again.
            guard let seen = signal.fingerprint(), seen != state.fingerprint else { return }
            let batch = try backend.read { try $0.changes(after: state.applied) }
            invalidatedThrough.store(batch.latest, ordering: .releasing)
            updateFilter(&state, with: batch)
            if batch.everything {
                let catalog = try backend.read { (try $0.catalog(), try $0.catalogVersion()) }
                if catalog.1 != state.scopes.version { state.scopes = ScopeIndex(catalog: catalog.0, version: catalog.1) }
                dropAll(installing: state.scopes)
            } else {
                for bytes in batch.tokens {
                    guard let digest = Digest(bytes) else { continue }
                    shards.withShard(Self.shard(of: digest)) { table in
                        if var gone = table.tokens.remove(digest) { usage.retire(&gone, names: table.lookup.names(in:)) }
                        table.absent.remove(digest)
                    }
                }
            }
            state.applied = batch.latest
            state.fingerprint = seen
            freshValid.store(false, ordering: .releasing)
            freshFirst.store(seen.first, ordering: .releasing)
            freshSecond.store(seen.second, ordering: .releasing)
            freshValid.store(true, ordering: .releasing)
        }
        return true
    }

    /// Adds what the change log reports to the digest filter; withdraws it when the log no longer
    /// reaches back to what was applied (creations may have been missed: it must be rebuilt).
    private func updateFilter(_ state: inout RefreshState, with batch: ChangeBatch) {
        guard let filter = state.filter else { return }
        if batch.oldestKept > 0, state.applied < batch.oldestKept - 1 {
            filter.withdraw()
            filterWanted.store(true, ordering: .relaxed)
            return
        }
        for bytes in batch.tokens {
            guard let digest = Digest(bytes) else { continue }
            filter.insert(digest)
        }
        if filter.isOverfull { filterWanted.store(true, ordering: .relaxed) }
    }

    /// Builds the digest filter when there is none or the current one was withdrawn or is overfull:
    /// installed first (so that refreshes feed it from then on), then filled from a snapshot taken
    /// after that, then marked ready. Runs on the store's background thread, never on a verify.
    func maintainFilter() throws {
        guard capacity.load(ordering: .relaxed) > 0, filterWanted.exchange(false, ordering: .relaxed) else { return }
        do {
            let keys = try backend.read { try $0.tokenCount() }
            let filter = DigestFilter(keys: keys.multipliedReportingOverflow(by: 2).partialValue)
            refresh.withLock { state in
                state.filter?.withdraw()
                state.filter = filter
                shards.forEach { $0.filter = filter }
            }
            try backend.read { reader in
                try reader.forEachDigest { bytes in
                    guard bytes.count == Crypto.digestLength else { return }
                    filter.insert(Digest(bytes))
                }
            }
            filter.markReady()
        } catch {
            filterWanted.store(true, ordering: .relaxed)
            throw error
        }
    }

    /// Whether a ready digest filter answers for unknown digests.
    var hasReadyFilter: Bool { refresh.withLock { $0.filter?.isReady ?? false } }

    /// Empties the index (the tokens' usage counts go to the usage buffer), then makes `scopes` the
    /// catalog of what is indexed from now on.
    private func dropAll(installing scopes: ScopeIndex? = nil) {
        shards.forEach { table in
            let lookup = table.lookup
            table.tokens.removeAll { usage.retire(&$0, names: lookup.names(in:)) }
            table.absent.removeAll()
            if let scopes {
                table.scopes = scopes
                table.lookup = scopes.lookup
            }
        }
    }

    /// The catalog index, reloaded if the database holds a newer catalog than the one in memory.
    private func scopeIndex(atLeast version: Int64) throws -> ScopeIndex {
        let current = refresh.withLock { $0.scopes }
        if current.version >= version { return current }
        let catalog = try backend.read { (try $0.catalog(), try $0.catalogVersion()) }
        return ScopeIndex(catalog: catalog.0, version: catalog.1)
    }
}
