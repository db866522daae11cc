/// What the core needs from a database. SQLite is the embedded implementation; a backend for fleets
/// (PostgreSQL) implements the same protocols. Every method throws `TokenAuthError`.
protocol StorageBackend: AnyObject, Sendable {
    /// The store's token prefix, fixed when the database was created.
    var tokenPrefix: String { get }

    /// Runs `body` in one read transaction (a consistent snapshot).
    func read<T>(_ body: (any StorageReader) throws -> T) throws -> T

    /// Runs `body` in one write transaction, committed with `durability` before this returns, or
    /// rolled back entirely if `body` throws.
    func write<T>(_ durability: Durability, _ body: (any StorageWriter) throws -> T) throws -> T

    /// The verification view of the token with this SHA-256 digest, read in one statement, with the
    /// latest change-log sequence number of the same snapshot.
    func lookup(digest: UnsafeRawBufferPointer) throws -> (token: VerificationLookup?, changeSeq: Int64)

    /// What tells this handle cheaply that some connection, in any process, committed.
    var commitSignal: CommitSignal { get }

    /// The database file that other processes of this host open to share the store (its rate-limit
    /// buckets live beside it); nil when no other process can open this store's file.
    var databaseFile: String? { get }

    func close()
}

protocol StorageReader {
    func catalog() throws -> ScopeCatalog
    /// Increases with every change to the catalog.
    func catalogVersion() throws -> Int64
    func member(_ id: String) throws -> Member?
    func members() throws -> [Member]
    func token(id: String) throws -> TokenRecord?
    /// Every token, newest first (created_at descending, then the latest created first).
    func tokens() throws -> [TokenRecord]
    /// Up to `limit` tokens in descending id order (newest first: ids are time-ordered), those with
    /// an id below `before` when it is given, only of `kind` and `owner` when given. Walks the id index.
    func tokens(before: String?, kind: TokenKind?, owner: String?, limit: Int) throws -> [TokenRecord]
    /// The SHA-256 digest of the token `id`, or nil when there is no such token.
    func tokenDigest(id: String) throws -> [UInt8]?
    func dailyUsage(tokenID: String, fromDay: Int64) throws -> [DailyUsage]
    func usageCounts(tokenID: String, dimension: UsageDimension, fromDay: Int64) throws -> [(key: String, count: Int64)]
    func audit(_ filter: AuditFilter) throws -> [AuditEntry]
    /// The change log after `seq`.
    func changes(after seq: Int64) throws -> ChangeBatch
    /// The sequence number of the latest change-log row.
    func latestChange() throws -> Int64
    /// How many tokens there are.
    func tokenCount() throws -> Int
    /// Calls `body` with the SHA-256 digest of every token (the bytes are valid only during the call).
    func forEachDigest(_ body: (UnsafeRawBufferPointer) -> Void) throws
    /// The earliest end of a rotation's grace period not yet recorded as a revocation, if any.
    func earliestGraceEnd() throws -> Int64?
}

/// What a change-log row invalidates.
enum ChangeKind: Int64 {
    /// One token, by digest.
    case token = 1
    /// A member or the catalog: every cached answer.
    case everything = 2
}

/// The change-log rows after some sequence number.
struct ChangeBatch {
    var oldestKept: Int64
    var latest: Int64
    /// Digests of the tokens created, changed or deleted.
    var tokens: [[UInt8]]
    /// A member or the catalog changed, or the log no longer reaches back far enough.
    var everything: Bool
}

extension StorageBackend {
    /// The catalog and its version, read together.
    func loadCatalog() throws -> (catalog: ScopeCatalog, version: Int64) {
        try read { (try $0.catalog(), try $0.catalogVersion()) }
    }
}

protocol StorageWriter: StorageReader {
    func putScope(_ name: String, _ definition: ScopeDefinition) throws
    func putMember(_ member: Member) throws
    func deleteMember(_ id: String) throws
    /// Revokes for good and disowns every personal token of `owner`; returns how many were live.
    func disownPersonalTokens(owner: String, at now: Int64) throws -> Int
    func insertToken(_ token: TokenRecord, digest: [UInt8]) throws
    /// Writes the mutable fields: name, active, revoked, revoke_at, rotated_to.
    func updateToken(_ token: TokenRecord) throws
    /// Records as revoked every token whose grace period ended at or before `now`; returns how many.
    func endGraces(dueBy now: Int64) throws -> Int
    func deleteToken(id: String) throws
    func appendAudit(_ record: AuditRecord) throws
    /// Adds to the aggregated entry with `key`, creating it if needed.
    func aggregateAudit(_ record: AuditRecord, key: String, count: Int64, firstAt: Int64, lastAt: Int64) throws
    /// Adds a batch's counts to its tokens (in token id order); a token no longer stored is skipped.
    /// A storage may leave the tokens' own counters (uses, denials, last use) to `applyCounters`,
    /// returned with the key of each token's row, for the caller to apply in that order.
    func applyUsage(_ batch: [UsageRow]) throws -> [CounterUpdate]
    /// Adds to the counters of the tokens in `updates` (sorted by row key); a token no longer stored is skipped.
    func applyCounters(_ updates: ArraySlice<CounterUpdate>) throws
}

/// The counts of one token waiting to be written.
struct UsageRow {
    var tokenID: String
    var usage: TokenUsage
}

/// A token's counters still to be added, with the key of its row in the storage's table.
struct CounterUpdate {
    var rowKey: Int64
    var tokenID: String
    var usage: TokenUsage
}

/// The token fields verification needs, with its owner and the catalog version, read atomically.
struct VerificationLookup {
    var digest: [UInt8]
    var id: String
    var kind: TokenKind
    var owner: String?
    var ownerRemoved: Bool
    var expandedScopes: String
    var expiresAt: Int64
    var active: Bool
    var revoked: Bool
    /// The end of a grace period (ignored once `revoked`).
    var graceEndsAt: Int64?
    var rateLimit: RateLimit?
    var ownerMember: Member?
    var catalogVersion: Int64
}

struct DailyUsage {
    var day: Int64
    var uses: Int64
    var denied: Int64
}

enum UsageDimension: String {
    case scope, operation, status
}

/// One audit entry to write.
struct AuditRecord {
    var at: Int64
    var event: String
    var actor: String?
    var tokenID: String?
    var memberID: String?
    var detail: JSON
}

/// One audit entry read back; `detail` is the stored JSON with the aggregate fields added.
struct AuditEntry {
    var at: Int64
    var event: String
    var actor: String?
    var tokenID: String?
    var memberID: String?
    var detail: String
}

struct AuditFilter {
    var tokenID: String?
    var actor: String?
    var event: String?
    var since: Int64?
    var until: Int64?
    var limit: Int64
}

/// The words of a space-separated list.
func words(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }
