import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Milliseconds since the Unix epoch, from the wall clock unless a test has pinned it.
final class StoreClock: Sendable {
    private let pinned = Atomic<Int64>(0)

    /// The pinned time, if a test pinned the clock.
    var pinnedMS: Int64? {
        let value = pinned.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// The pinned time in µs (the unit of a fleet's rate-limit buckets), if a test pinned the clock.
    var pinnedUS: Int64? { pinnedMS?.multipliedSaturated(by: 1000) }

    /// Pins the clock at `ms`; 0 returns it to the wall clock.
    func pin(_ ms: Int64) { pinned.store(ms, ordering: .relaxed) }

    var nowMS: Int64 {
        let value = pinned.load(ordering: .relaxed)
        return value != 0 ? value : Self.wallClockMS()
    }

    /// The same from the kernel's coarse clock (its last tick, a few ms behind at most; a fraction
    /// of the cost): for stamping uses, never for deciding expiry, revocation or rate limits.
    var coarseNowMS: Int64 {
        let value = pinned.load(ordering: .relaxed)
        guard value == 0 else { return value }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        return Int64(ts.tv_sec) &* 1000 &+ Int64(ts.tv_nsec) / 1_000_000
    }

    /// The clock of rate-limit windows, in nanoseconds: the kernel's coarse monotonic clock (the same
    /// for every process of the host, never stepped by NTP or an administrator; its last tick, a few
    /// ms behind at most, for a fifth of a precise reading's cost on the hot path), or the pinned
    /// time. A window must measure elapsed time, which the wall clock does not do faithfully. It
    /// stands still while the host is suspended: the buckets refill nothing for that time.
    var windowNowNS: Int64 {
        let value = pinned.load(ordering: .relaxed)
        guard value == 0 else { return value.multipliedSaturated(by: 1_000_000) }
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }

    static func wallClockMS() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1000 &+ Int64(ts.tv_nsec) / 1_000_000
    }

    /// A monotonic time for intervals, in nanoseconds.
    static func monotonicNS() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }
}

/// UTC calendar days, as used by the per-day usage statistics (and the console's dates).
public enum UTCDay {
    public static let millisecondsPerDay: Int64 = 86_400_000

    /// The day number (days since 1970-01-01) containing `ms`.
    public static func day(of ms: Int64) -> Int64 {
        let (q, r) = ms.quotientAndRemainder(dividingBy: millisecondsPerDay)
        return r < 0 ? q - 1 : q
    }

    /// "YYYY-MM-DD" for a day number.
    public static func format(_ day: Int64) -> String {
        let (y, m, d) = civil(day)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// (year, month, day) of a day number (Howard Hinnant's civil_from_days).
    public static func civil(_ day: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
