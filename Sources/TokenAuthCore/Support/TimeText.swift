/// Times as people read and write them, in English and UTC, for the consoles over the library (the CLI and the
/// web console show the same words): "2024-03-10 12:00:00Z", "3 days", "in 29 days", "just now".
public enum TimeText {
    private static let second: Int64 = 1_000
    private static let minute: Int64 = 60_000
    private static let hour: Int64 = 3_600_000
    private static let day = UTCDay.millisecondsPerDay

    /// Now, from the wall clock, in ms since the Unix epoch.
    public static func nowMS() -> Int64 { StoreClock.wallClockMS() }

    /// "2024-03-10" (UTC).
    public static func date(_ ms: Int64) -> String { UTCDay.format(UTCDay.day(of: ms)) }

    /// "2024-03-10 12:00:00Z" (UTC).
    public static func timestamp(_ ms: Int64) -> String {
        let seconds = (ms - UTCDay.day(of: ms) * day) / 1000
        return "\(date(ms)) \(pad(seconds / 3600)):\(pad(seconds / 60 % 60)):\(pad(seconds % 60))Z"
    }

    /// A span as the largest whole unit that fits: "3 days", "1 hour", "45 seconds".
    public static func span(_ ms: Int64) -> String {
        let ms = ms == .min ? Int64.max : abs(ms)
        func unit(_ n: Int64, _ name: String) -> String { n == 1 ? "1 \(name)" : "\(n) \(name)s" }
        // Rounded to the nearest whole unit, so that "30d" from a moment ago still reads "30 days".
        func whole(_ size: Int64) -> Int64 { ms / size + (ms % size >= size / 2 ? 1 : 0) }
        if ms < second { return "\(ms) ms" }
        if ms < minute - second / 2 { return unit(whole(second), "second") }
        if ms < hour - minute / 2 { return unit(whole(minute), "minute") }
        if ms < day - hour / 2 { return unit(whole(hour), "hour") }
        if ms < 60 * day { return unit(whole(day), "day") }
        if ms < 365 * day { return unit(whole(30 * day), "month") }
        return unit(whole(365 * day), "year")
    }

    /// "3 days ago", "in 29 days", "just now"; `none` when there is no time (nil or 0).
    public static func relative(_ ms: Int64?, now: Int64, none: String = "never") -> String {
        guard let ms, ms != 0 else { return none }
        let (delta, overflow) = now.subtractingReportingOverflow(ms)
        if overflow { return ms > now ? "in \(span(.max))" : "\(span(.max)) ago" }
        if abs(delta) < 10 * second { return "just now" }
        return delta > 0 ? "\(span(delta)) ago" : "in \(span(delta))"
    }

    /// A calendar date `YYYY-MM-DD` (UTC midnight) or a UTC time `YYYY-MM-DDTHH:MM[:SS]Z`, in ms;
    /// nil for anything else.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for index in range {
                guard bytes[index] >= 0x30, bytes[index] <= 0x39 else { return nil }
                value = value * 10 + Int64(bytes[index] - 0x30)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = number(0..<4), let month = number(5..<7), let dayOfMonth = number(8..<10),
              (1...12).contains(month), dayOfMonth >= 1, dayOfMonth <= daysIn(month: month, year: year) else { return nil }
        var ms = daysFromCivil(year: year, month: month, day: dayOfMonth) * day
        if bytes.count == 10 { return ms }
        // THH:MMZ or THH:MM:SSZ
        guard bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), bytes.last == UInt8(ascii: "Z"),
              bytes.count == 17 || bytes.count == 20, bytes[13] == UInt8(ascii: ":"),
              let hours = number(11..<13), let minutes = number(14..<16), hours < 24, minutes < 60 else { return nil }
        var seconds: Int64 = 0
        if bytes.count == 20 {
            guard bytes[16] == UInt8(ascii: ":"), let value = number(17..<19), value < 60 else { return nil }
            seconds = value
        }
        ms += hours * hour + minutes * minute + seconds * second
        return ms
    }

    private static func isLeap(_ year: Int64) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : String(value) }
}
