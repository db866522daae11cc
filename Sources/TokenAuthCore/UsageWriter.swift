/// Writes the usage buffer to storage: counts per token and day, and the aggregated
/// `verify.denied` audit entries. Called by the flush thread, `ta_flush`, `ta_close` and reads.
final class UsageWriter: Sendable {
    private let recorder: UsageRecorder
    private let index: TokenIndex
    private let backend: any StorageBackend

    init(recorder: UsageRecorder, index: TokenIndex, backend: any StorageBackend) {
        self.recorder = recorder
        self.index = index
        self.backend = backend
    }

    /// One flush at a time: `ta_flush` waits for a background flush in progress, whose batch it could
    /// not see, so that everything counted before it is written when it returns.
    private let serial = Locked(())

    /// Writes everything recorded so far; on failure the batch goes back to the buffer.
    func flush() throws {
        try serial.withLock { _ in try flushAlone() }
    }

    private func flushAlone() throws {
        let batch = recorder.drain(from: index)
        guard !batch.isEmpty else { return }
        do {
            // In token id order: ids are time-ordered, like the usage tables' and the audit's keys, so a
            // large batch walks each B-tree once from left to right instead of dirtying random pages
            // (the storage updates the token rows, keyed by digest, in their own order).
            try backend.write(.normal) { writer in
                let rows = Self.inIDOrder(batch.tokens, id: \.key).map { UsageRow(tokenID: $0.key, usage: $0.value) }
                try writer.applyUsage(rows)
                for (key, denial) in Self.inIDOrder(batch.denials, id: \.key.tokenID) {
                    try Self.writeDenial(key, denial, to: writer)
                }
            }
        } catch {
            recorder.restore(batch)
            throw error
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
