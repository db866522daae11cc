/// Counts of one token waiting to be written.
struct TokenUsage {
    var uses: Int64 = 0
    var denied: Int64 = 0
    var lastUsedAt: Int64 = 0
    var days: [Int64: DayCounts] = [:]
    var counts: [UsageCountKey: Int64] = [:]

    struct DayCounts {
        var uses: Int64 = 0
        var denied: Int64 = 0
    }

    mutating func merge(_ other: TokenUsage) {
        uses += other.uses
        denied += other.denied
        lastUsedAt = max(lastUsedAt, other.lastUsedAt)
        for (day, counts) in other.days {
            days[day, default: DayCounts()].uses += counts.uses
            days[day, default: DayCounts()].denied += counts.denied
        }
        counts.merge(other.counts, uniquingKeysWith: +)
    }
}

struct UsageCountKey: Hashable {
    var day: Int64
    var dimension: UsageDimension
    var key: String
}

/// Denials of one token with one status in one UTC minute: one `verify.denied` audit entry.
struct DenialKey: Hashable {
    var tokenID: String
    var status: Status
    var minute: Int64
}

struct DenialAggregate {
    var subject: String
    var missingScope: String?
    var count: Int64
    var firstAt: Int64
    var lastAt: Int64

    mutating func merge(_ other: DenialAggregate) {
        count += other.count
        firstAt = min(firstAt, other.firstAt)
        lastAt = max(lastAt, other.lastAt)
        if missingScope == nil { missingScope = other.missingScope }
    }
}

/// Everything recorded in memory since the last flush.
struct PendingUsage {
    var tokens: [String: TokenUsage] = [:]
    var denials: [DenialKey: DenialAggregate] = [:]

    var isEmpty: Bool { tokens.isEmpty && denials.isEmpty }

    mutating func merge(_ other: PendingUsage) {
        for (id, usage) in other.tokens { tokens[id, default: TokenUsage()].merge(usage) }
        for (key, denial) in other.denials {
            if denials[key] == nil { denials[key] = denial } else { denials[key]?.merge(denial) }
        }
    }
}

/// The in-memory usage buffer of a store handle. Recording is a few dictionary updates under a
/// lock that no database write holds; `drain` hands the batch to the flusher.
final class UsageRecorder: Sendable {
    private let pending = Locked(PendingUsage())

    func recordUse(_ tokenID: String, scopes: [String], at now: Int64) {
        let day = UTCDay.day(of: now)
        pending.withLock { buffer in
            var usage = buffer.tokens[tokenID] ?? TokenUsage()
            usage.uses += 1
            usage.lastUsedAt = max(usage.lastUsedAt, now)
            usage.days[day, default: TokenUsage.DayCounts()].uses += 1
            for scope in scopes { usage.counts[UsageCountKey(day: day, dimension: .scope, key: scope), default: 0] += 1 }
            buffer.tokens[tokenID] = usage
        }
    }

    func recordDenial(_ tokenID: String, status: Status, subject: String, missingScope: String?, at now: Int64) {
        let day = UTCDay.day(of: now)
        let key = DenialKey(tokenID: tokenID, status: status, minute: Self.minute(of: now))
        let denial = DenialAggregate(subject: subject, missingScope: missingScope, count: 1, firstAt: now, lastAt: now)
        pending.withLock { buffer in
            var usage = buffer.tokens[tokenID] ?? TokenUsage()
            usage.denied += 1
            usage.days[day, default: TokenUsage.DayCounts()].denied += 1
            buffer.tokens[tokenID] = usage
            if buffer.denials[key] == nil { buffer.denials[key] = denial } else { buffer.denials[key]?.merge(denial) }
        }
    }

    func recordOperation(_ tokenID: String, operation: String, httpStatus: Int, at now: Int64) {
        let day = UTCDay.day(of: now)
        pending.withLock { buffer in
            var usage = buffer.tokens[tokenID] ?? TokenUsage()
            usage.counts[UsageCountKey(day: day, dimension: .operation, key: operation), default: 0] += 1
            usage.counts[UsageCountKey(day: day, dimension: .status, key: String(httpStatus)), default: 0] += 1
            buffer.tokens[tokenID] = usage
        }
    }

    /// Takes everything recorded so far.
    func drain() -> PendingUsage {
        pending.withLock { buffer in
            let taken = buffer
            buffer = PendingUsage()
            return taken
        }
    }

    /// Puts back a batch that could not be written, so that nothing counted is lost.
    func restore(_ batch: PendingUsage) {
        pending.withLock { $0.merge(batch) }
    }

    static func minute(of ms: Int64) -> Int64 {
        let (q, r) = ms.quotientAndRemainder(dividingBy: 60_000)
        return r < 0 ? q - 1 : q
    }
}
