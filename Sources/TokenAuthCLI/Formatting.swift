#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TokenAuthCore

/// Text rendering: times, relative times, aligned tables and bar charts.
enum Format {
    /// Milliseconds since the Unix epoch, from the wall clock.
    static func nowMS() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    static func dayNumber(_ ms: Int64) -> Int64 { UTCDay.day(of: ms) }

    /// "2024-03-10" (UTC).
    static func date(_ ms: Int64) -> String { TimeText.date(ms) }

    /// "2024-03-10 12:00:00Z" (UTC).
    static func timestamp(_ ms: Int64) -> String { TimeText.timestamp(ms) }

    /// A span as the largest whole unit that fits: "3 days", "1 hour", "45 seconds".
    static func span(_ ms: Int64) -> String { TimeText.span(ms) }

    /// "3 days ago", "in 29 days", "just now"; `none` when there is no time (nil or 0).
    static func relative(_ ms: Int64?, now: Int64, none: String = "never") -> String {
        TimeText.relative(ms, now: now, none: none)
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

/// A JSON value as the library wrote it, decoded with FoundationEssentials' JSONDecoder (the console
/// does not link all of Foundation: that would add its ICU data, some 50 MB, to the binary).
indirect enum Parsed: Decodable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([Parsed])
    case object([String: Parsed])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([Parsed].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: Parsed].self))
        }
    }

    subscript(key: String) -> Parsed? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var objectValue: [String: Parsed]? {
        if case .object(let object) = self { return object }
        return nil
    }

    var arrayValue: [Parsed]? {
        if case .array(let array) = self { return array }
        return nil
    }

    /// The same value as the library's JSON type, to print it again (keys sorted).
    var json: JSON {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .int(let value): .int(value)
        case .double(let value): .encodedText(value.isFinite ? "\(value)" : "null")
        case .string(let value): .string(value)
        case .array(let values): .array(values.map(\.json))
        case .object(let object): .object(object.keys.sorted().map { ($0, object[$0]!.json) })
        }
    }
}

/// Reading the library's JSON outputs.
enum JSONValue {
    static func parse(_ text: String) throws -> Parsed {
        do {
            return try JSONDecoder().decode(Parsed.self, from: Data(text.utf8))
        } catch {
            throw CLIFailure(Exit.internalError, "the library returned JSON that cannot be parsed: \(error)")
        }
    }

    static func objects(_ text: String) throws -> [[String: Parsed]] {
        guard let array = try parse(text).arrayValue else {
            throw CLIFailure(Exit.internalError, "the library returned JSON of an unexpected shape")
        }
        return array.compactMap(\.objectValue)
    }

    static func object(_ text: String) throws -> [String: Parsed] {
        guard let object = try parse(text).objectValue else {
            throw CLIFailure(Exit.internalError, "the library returned JSON of an unexpected shape")
        }
        return object
    }

    static func string(_ value: Parsed?) -> String? {
        if case .string(let string) = value { return string }
        return nil
    }

    static func int(_ value: Parsed?) -> Int64? {
        switch value {
        case .int(let number): number
        case .double(let number) where number.rounded() == number && abs(number) < 9e18: Int64(number)
        default: nil
        }
    }

    static func bool(_ value: Parsed?) -> Bool? {
        if case .bool(let flag) = value { return flag }
        return nil
    }

    static func strings(_ value: Parsed?) -> [String] { value?.arrayValue?.compactMap { string($0) } ?? [] }

    /// A JSON string literal.
    static func quote(_ text: String) -> String { JSON.string(text).encoded() }

    /// JSON for an optional string (null when nil).
    static func optional(_ text: String?) -> JSON { text.map { .string($0) } ?? .null }
}

extension Double {
    /// Fixed-point text with `places` decimals (no Foundation formatting needed).
    func fixed(_ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (self * scale).rounded()
        guard scaled.isFinite, abs(scaled) < 9e18 else { return "\(self)" }
        let whole = Int64(scaled)
        if places == 0 { return String(whole) }
        let sign = whole < 0 ? "-" : ""
        let digits = String(abs(whole))
        let padded = String(repeating: "0", count: max(0, places + 1 - digits.count)) + digits
        return sign + padded.dropLast(places) + "." + padded.suffix(places)
    }
}
