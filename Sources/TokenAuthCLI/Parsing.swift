import TokenAuthCore

/// Parsing of the console's human-friendly values: durations (`30d`, `12h`, `10m`, `90s`, `1h30m`),
/// dates (`2027-01-31`, UTC midnight; `2027-01-31T08:30:00Z`) and rate limits (`100/min`).
enum Parse {
    static let second: Int64 = 1_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    private static let units: [String: Int64] = [
        "ms": 1, "s": second, "sec": second, "m": minute, "min": minute, "h": hour, "d": day, "w": 7 * day,
    ]

    /// A duration in milliseconds: one or more `<number><unit>` groups (units ms, s, m, h, d, w), or
    /// a bare `0`.
    static func duration(_ text: String, what: String = "duration") throws -> Int64 {
        let failure = CLIFailure.usage("invalid \(what) \"\(printable(text))\": use a number and a unit, e.g. 90s, 10m, 12h, 30d")
        if text == "0" { return 0 }
        var total: Int64 = 0
        var rest = Substring(text)
        guard !rest.isEmpty else { throw failure }
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix(while: { $0.isASCII && $0.isLetter })
            rest = rest.dropFirst(unit.count)
            guard !digits.isEmpty, digits.count <= 12, let value = Int64(digits), let scale = units[String(unit)] else {
                throw failure
            }
            let (product, overflow1) = value.multipliedReportingOverflow(by: scale)
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow1, !overflow2 else { throw failure }
            total = sum
        }
        return total
    }

    /// A calendar date `YYYY-MM-DD` (UTC midnight) or a UTC time `YYYY-MM-DDTHH:MM[:SS]Z`, in ms.
    static func date(_ text: String) -> Int64? { TimeText.parse(text) }

    /// A moment in the future: a duration from now (`30d`) or a date (`2027-01-31`).
    static func future(_ text: String, now: Int64, what: String) throws -> Int64 {
        if let ms = date(text) { return ms }
        do {
            let span = try duration(text, what: what)
            return now + span
        } catch {
            throw CLIFailure.usage("invalid \(what) \"\(printable(text))\": use a duration (30d, 12h, 10m, 90s) or a date (2027-01-31)")
        }
    }

    /// A moment in the past: a duration before now (`7d`), a date, or `all` (0, the beginning).
    static func past(_ text: String, now: Int64, what: String) throws -> Int64 {
        if text == "all" { return 0 }
        if let ms = date(text) { return ms }
        do {
            let span = try duration(text, what: what)
            return max(now - span, 0)
        } catch {
            throw CLIFailure.usage("invalid \(what) \"\(printable(text))\": use a duration (7d, 12h), a date (2024-03-01) or all")
        }
    }

    private static let windows: [String: Int64] = [
        "s": second, "sec": second, "second": second, "m": minute, "min": minute, "minute": minute,
        "h": hour, "hour": hour, "d": day, "day": day,
    ]

    /// A rate limit `N/unit` (`100/min`, `10/s`, `1000/h`, `5000/day`) or `N/<duration>` (`50/10s`):
    /// requests per window, window in ms.
    static func rateLimit(_ text: String) throws -> (limit: UInt32, windowMS: UInt32) {
        let failure = CLIFailure.usage("invalid rate limit \"\(printable(text))\": use requests per window, e.g. 100/min, 10/s, 1000/h")
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let limit = UInt32(parts[0]), limit > 0 else { throw failure }
        let window: Int64
        if let named = windows[String(parts[1])] {
            window = named
        } else if let span = try? duration(String(parts[1])), span > 0 {
            window = span
        } else {
            throw failure
        }
        guard window <= Int64(UInt32.max) else { throw failure }
        return (limit, UInt32(window))
    }

    /// "100/min"-style rendering of a rate limit.
    static func describeRate(limit: Int64, windowMS: Int64) -> String {
        switch windowMS {
        case second: "\(limit)/s"
        case minute: "\(limit)/min"
        case hour: "\(limit)/h"
        case day: "\(limit)/day"
        default: "\(limit)/\(Format.span(windowMS))"
        }
    }

    /// A value quoted back in an error message: short, control characters replaced.
    static func printable(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars.prefix(40) {
            out.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
        }
        return value.unicodeScalars.count > 40 ? out + "…" : out
    }
}
