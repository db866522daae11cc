import Foundation

/// Text rendering: times, relative times, aligned tables and bar charts.
enum Format {
    /// Milliseconds since the Unix epoch, from the wall clock.
    static func nowMS() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// (year, month, day) of a day number (days since 1970-01-01; Howard Hinnant's civil_from_days).
    static func civil(day: Int64) -> (Int64, Int64, Int64) {
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

    static func dayNumber(_ ms: Int64) -> Int64 {
        let (q, r) = ms.quotientAndRemainder(dividingBy: Parse.day)
        return r < 0 ? q - 1 : q
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// "2024-03-10" (UTC).
    static func date(_ ms: Int64) -> String {
        let (y, m, d) = civil(day: dayNumber(ms))
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// "2024-03-10 12:00:00Z" (UTC).
    static func timestamp(_ ms: Int64) -> String {
        let inDay = ms - dayNumber(ms) * Parse.day
        let seconds = inDay / 1000
        return "\(date(ms)) \(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))Z"
    }

    /// A span as the largest whole unit that fits: "3 days", "1 hour", "45 seconds".
    static func span(_ ms: Int64) -> String {
        let ms = abs(ms)
        func unit(_ n: Int64, _ name: String) -> String { n == 1 ? "1 \(name)" : "\(n) \(name)s" }
        // Rounded to the nearest whole unit, so that "30d" from a moment ago still reads "30 days".
        func whole(_ size: Int64) -> Int64 { (ms + size / 2) / size }
        if ms < Parse.second { return "\(ms) ms" }
        if ms < Parse.minute - Parse.second / 2 { return unit(whole(Parse.second), "second") }
        if ms < Parse.hour - Parse.minute / 2 { return unit(whole(Parse.minute), "minute") }
        if ms < Parse.day - Parse.hour / 2 { return unit(whole(Parse.hour), "hour") }
        if ms < 60 * Parse.day { return unit(whole(Parse.day), "day") }
        if ms < 365 * Parse.day { return unit(whole(30 * Parse.day), "month") }
        return unit(whole(365 * Parse.day), "year")
    }

    /// "3 days ago", "in 29 days", "just now"; `none` when there is no time (nil or 0).
    static func relative(_ ms: Int64?, now: Int64, none: String = "never") -> String {
        guard let ms, ms != 0 else { return none }
        let delta = now - ms
        if abs(delta) < 10 * Parse.second { return "just now" }
        return delta > 0 ? "\(span(delta)) ago" : "in \(span(delta))"
    }

    /// The visible width of a string (one column per character; good enough for tables).
    static func width(_ text: String) -> Int { text.count }

    /// Shortens `text` to at most `limit` characters, ending with "…".
    static func truncate(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// An aligned table: a header row and the rows, columns separated by two spaces, no trailing blanks.
    /// Columns listed in `rightAligned` (by index) are aligned right (numbers).
    static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        var widths = header.map(width)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], width(cell)) }
        }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (index, cell) in cells.enumerated() {
                let gap = String(repeating: " ", count: max(0, widths[index] - width(cell)))
                if index > 0 { out += "  " }
                out += rightAligned.contains(index) ? gap + cell : (index == cells.count - 1 ? cell : cell + gap)
            }
            while out.hasSuffix(" ") { out.removeLast() }
            return out
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// A horizontal bar of `value` out of `maximum` in at most `columns` cells, in eighths of a cell;
    /// any non-zero value shows at least one eighth.
    static func bar(_ value: Int64, maximum: Int64, columns: Int = 40) -> String {
        guard value > 0, maximum > 0 else { return "" }
        let eighths = max(1, Int((Double(value) / Double(maximum) * Double(columns * 8)).rounded()))
        let partials = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        return String(repeating: "█", count: eighths / 8) + partials[eighths % 8]
    }
}

/// Reading the library's JSON outputs (parsed with Foundation's JSONSerialization).
enum JSONValue {
    static func parse(_ text: String) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw CLIFailure(Exit.internalError, "the library returned JSON that cannot be parsed: \(error)")
        }
    }

    static func objects(_ text: String) throws -> [[String: Any]] {
        guard let array = try parse(text) as? [[String: Any]] else {
            throw CLIFailure(Exit.internalError, "the library returned JSON of an unexpected shape")
        }
        return array
    }

    static func object(_ text: String) throws -> [String: Any] {
        guard let object = try parse(text) as? [String: Any] else {
            throw CLIFailure(Exit.internalError, "the library returned JSON of an unexpected shape")
        }
        return object
    }

    static func string(_ value: Any?) -> String? { value as? String }

    static func int(_ value: Any?) -> Int64? {
        if value is NSNull { return nil }
        if let number = value as? NSNumber { return number.int64Value }
        if let number = value as? Int { return Int64(number) }
        return nil
    }

    static func bool(_ value: Any?) -> Bool? {
        if let flag = value as? Bool { return flag }
        return (value as? NSNumber)?.boolValue
    }

    static func strings(_ value: Any?) -> [String] { (value as? [Any])?.compactMap { $0 as? String } ?? [] }

    /// Compact JSON of a Foundation value, keys sorted.
    static func encode(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value) || value is String || value is NSNumber || value is NSNull,
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A JSON string literal.
    static func quote(_ text: String) -> String { encode(text) }
}
