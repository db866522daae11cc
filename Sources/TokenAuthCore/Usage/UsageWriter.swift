#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Writes the usage buffer to storage: counts per token and day, and the aggregated
/// `verify.denied` audit entries. Called by the flush thread, `ta_flush`, `ta_close` and reads.
final class UsageWriter: Sendable {
    private let recorder: UsageRecorder
    private let index: TokenIndex
    private let backend: any StorageBackend

    init(recorder: UsageRecorder, index: TokenIndex, backend: any StorageBackend, rowsPerTransaction: Int) {
        self.recorder = recorder
        self.index = index
        self.backend = backend
        self.rowsPerTransaction = rowsPerTransaction
    }

    /// One flush at a time: `ta_flush` waits for a background flush in progress, whose batch it could
    /// not see, so that everything counted before it is written when it returns.
    private let serial = Locked(())

    /// Tokens' counts, or denial entries, per transaction by default: the writer lock, which every
    /// other writer in every process waits for (a revocation among them), is held for a few hundred
    /// milliseconds at most (13 µs a token at a million tokens) rather than for the whole of a large
    /// batch, and the WAL stays small enough for its checkpoints to restart it. Smaller transactions
    /// commit (and checkpoint) more often, and each commit makes every verifying thread refresh its
    /// index once: at 2,000, hot verifications ran 10–20% slower while a million-token flush ran.
    static let defaultRowsPerTransaction = 20_000
    private let rowsPerTransaction: Int

    /// Writes everything recorded so far; what could not be written goes back to the buffer.
    /// `paced` (the background thread): after each transaction it waits as long as the transaction
    /// took, so that a large flush keeps at most half a core busy, and the host's request threads
    /// find a core free for the kernel's work (at a million tokens on 2 cores, the p99 of first
    /// verifications during a large flush went from 24–40 µs to 13–14 µs, as with the flush idle).
    /// A paced flush stops pausing as soon as a caller waits for it (`ta_flush`, a read) or the
    /// store closes.
    func flush(paced: Bool = false) throws {
        if paced { return try serial.withLock { _ in try flushAlone(paced: true) } }
        waiting.add(1, ordering: .relaxed)
        defer { waiting.subtract(1, ordering: .relaxed) }
        try serial.withLock { _ in try flushAlone(paced: false) }
    }

    /// Callers waiting for a flush, plus one for good once the store closes.
    private let waiting = Atomic<Int>(0)

    /// The store is closing: a paced flush in progress finishes without pausing.
    func hurry() {
        waiting.add(1, ordering: .relaxed)
    }

    /// In token id order: ids are time-ordered, like the usage tables' and the audit's keys, so a
    /// large batch walks each B-tree once from left to right instead of dirtying random pages. The
    /// tokens' own counters follow in the order of their rows' keys, which the storage returns. Each
    /// pass goes in transactions of `rowsPerTransaction`; a reader may see a token's per-day counts
    /// a moment before its counters, as it may see any usage up to `usage_flush_ms` late.
    private func flushAlone(paced: Bool) throws {
        let batch = recorder.drain(from: index)
        guard !batch.isEmpty else { return }
        let rows = Self.inIDOrder(batch.tokens, id: \.key).map { UsageRow(tokenID: $0.key, usage: $0.value) }
        let denials = Self.inIDOrder(batch.denials, id: \.key.tokenID)
        var counters: [CounterUpdate] = []
        var rowsWritten = 0, countersWritten = 0, denialsWritten = 0
        do {
            try inTransactions(rows.count, from: &rowsWritten, paced: paced) { range in
                counters += try backend.write(.normal) { try $0.applyUsage(Array(rows[range])) }
            }
            counters.sort { $0.rowKey < $1.rowKey }
            try inTransactions(counters.count, from: &countersWritten, paced: paced) { range in
                try backend.write(.normal) { try $0.applyCounters(counters[range]) }
            }
            try inTransactions(denials.count, from: &denialsWritten, paced: paced) { range in
                try backend.write(.normal) { writer in
                    for (key, denial) in denials[range] { try Self.writeDenial(key, denial, to: writer) }
                }
            }
        } catch {
            var unwritten = PendingUsage()
            for row in rows[rowsWritten...] { unwritten.tokens[row.tokenID] = row.usage }
            for update in counters[countersWritten...] { unwritten.tokens[update.tokenID, default: TokenUsage()].merge(update.usage) }
            for (key, denial) in denials[denialsWritten...] { unwritten.denials[key] = denial }
            recorder.restore(unwritten)
            throw error
        }
    }

    /// Runs `write` on consecutive ranges of at most `rowsPerTransaction` of `0..<count`, starting at
    /// `done`, which it advances past each range written. After each transaction it leaves the
    /// writer lock free for a millisecond at least (a writer of another process polls for it every
    /// millisecond, `BusyWait`, and would otherwise rarely find it free), and when `paced`, for as
    /// long as the transaction took.
    private func inTransactions(_ count: Int, from done: inout Int, paced: Bool,
                                _ write: (Range<Int>) throws -> Void) throws {
        while done < count {
            let range = done..<min(count, done + rowsPerTransaction)
            let started = StoreClock.monotonicNS()
            try write(range)
            done = range.upperBound
            guard done < count || paced else { break }
            let tookUS = (StoreClock.monotonicNS() - started) / 1000
            let pace = paced && waiting.load(ordering: .relaxed) == 0
            usleep(UInt32(clamping: pace ? max(1000, tookUS) : 1000))
        }
    }

    /// `items` sorted by the byte order of their token id's first 16 bytes (ids differ within them:
    /// "tok_", the creation time, then random characters), compared as two big-endian words.
    static func inIDOrder<Item>(_ items: some Sequence<Item>, id: (Item) -> String) -> [Item] {
        func key(_ id: String) -> (UInt64, UInt64) {
            var words: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &words) { id.copyUTF8(into: $0) }
            return (UInt64(bigEndian: words.0), UInt64(bigEndian: words.1))
        }
        return items.map { (key: key(id($0)), item: $0) }.sorted { $0.key < $1.key }.map(\.item)
    }

    /// One `verify.denied` entry per (token, status, UTC minute); later flushes add to it.
    private static func writeDenial(_ key: DenialKey, _ denial: DenialAggregate, to writer: any StorageWriter) throws {
        var detail: [(String, JSON)] = [("status", .string(key.status.name)), ("http_status", .int(Int64(key.status.httpStatus)))]
        if let missing = denial.missingScope { detail.append(("missing_scope", .string(missing))) }
        let record = AuditRecord(at: denial.firstAt, event: "verify.denied", actor: denial.subject.isEmpty ? nil : denial.subject,
                                 tokenID: key.tokenID, memberID: nil, detail: .object(detail))
        try writer.aggregateAudit(record, key: "verify|\(key.tokenID)|\(key.status.rawValue)|\(key.minute)",
                                  count: denial.count, firstAt: denial.firstAt, lastAt: denial.lastAt)
    }
}
