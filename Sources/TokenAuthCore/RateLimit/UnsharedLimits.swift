import Synchronization

/// Verifications whose rate limit could not use the table of the store's policy (it is full near
/// the token, or could not be opened) and fell back to a bucket of this handle alone. Counted for
/// `ta_rate_limit_info`, and written to the audit log as `rate_limit.unshared`, one entry per
/// (reason, UTC minute) with its count, so that a limit that stopped being shared is never silent.
final class UnsharedLimits: Sendable {
    private struct Key: Hashable {
        var tableFull: Bool
        var minute: Int64
    }

    private struct Pending {
        var count: Int64
        var firstAt: Int64
        var lastAt: Int64
        var tokenID: String

        func merged(with other: Pending?) -> Pending {
            guard let other else { return self }
            return Pending(count: count + other.count, firstAt: min(firstAt, other.firstAt), lastAt: max(lastAt, other.lastAt),
                           tokenID: other.tokenID)
        }
    }

    private let pending = Locked<[Key: Pending]>([:])
    private let total = Atomic<Int64>(0)
    /// Why the host's table could not be opened, if it could not.
    private let problem: String?

    init(tableProblem: String?) {
        problem = tableProblem
    }

    /// Verifications counted so far by this handle.
    var count: Int64 { total.load(ordering: .relaxed) }

    /// Counts one verification of `tokenID` at `now` (wall clock) that used a bucket of this handle.
    func record(tableFull: Bool, tokenID: TokenID, at now: Int64) {
        total.add(1, ordering: .relaxed)
        let key = Key(tableFull: tableFull, minute: UsageRecorder.minute(of: now))
        let one = Pending(count: 1, firstAt: now, lastAt: now, tokenID: tokenID.string)
        pending.withLock { entries in entries[key] = one.merged(with: entries[key]) }
    }

    /// Writes what was counted since the last call; what cannot be written is kept for the next.
    func flush(to backend: any StorageBackend) throws {
        let entries = pending.withLock { entries in
            defer { entries.removeAll() }
            return entries
        }
        guard !entries.isEmpty else { return }
        do {
            try backend.write(.normal) { writer in
                for (key, entry) in entries {
                    let reason = key.tableFull ? "the shared rate-limit table has no free slot near this token"
                        : "the shared rate-limit table is unavailable: \(problem ?? "unknown")"
                    let record = AuditRecord(at: entry.firstAt, event: "rate_limit.unshared", actor: nil, tokenID: entry.tokenID,
                                             memberID: nil, detail: .object([("reason", .string(reason))]))
                    try writer.aggregateAudit(record, key: "unshared|\(key.tableFull)|\(key.minute)", count: entry.count,
                                              firstAt: entry.firstAt, lastAt: entry.lastAt)
                }
            }
        } catch {
            pending.withLock { current in
                for (key, entry) in entries { current[key] = entry.merged(with: current[key]) }
            }
            throw error
        }
    }
}
