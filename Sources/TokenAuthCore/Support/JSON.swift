/// A JSON value and its encoder (RFC 8259). Objects keep their keys in the order given, so outputs are
/// stable; strings are escaped as the RFC requires.
public indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])
    /// Text this encoder produced earlier (e.g. an audit detail read back from storage).
    case encodedText(String)

    public static func == (lhs: JSON, rhs: JSON) -> Bool { lhs.encoded() == rhs.encoded() }

    static func strings<S: Sequence<String>>(_ values: S) -> JSON { .array(values.map { .string($0) }) }
    static func optional(_ value: String?) -> JSON { value.map { .string($0) } ?? .null }
    /// A time in ms, or null for 0 ("none"/"never").
    static func time(_ ms: Int64) -> JSON { ms == 0 ? .null : .int(ms) }

    /// Adds `fields` to an object encoded by this encoder, without decoding it.
    static func appending(_ fields: [(String, JSON)], toEncodedObject text: String) -> String {
        guard text.hasSuffix("}"), !fields.isEmpty else { return text }
        var out = String(text.dropLast())
        if out != "{" { out += "," }
        let extra = JSON.object(fields).encoded()
        out += extra.dropFirst()
        return out
    }

    public func encoded() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .encodedText(let text): out += text
        case .string(let value): Self.writeString(value, to: &out)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.write(to: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (index, (key, value)) in fields.enumerated() {
                if index > 0 { out += "," }
                Self.writeString(key, to: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    private static let hexDigits = Array("0123456789abcdef".unicodeScalars)

    private static func writeString(_ value: String, to out: inout String) {
        out += "\""
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0xE2 }) {
            out += value // nothing to escape (0xE2 leads U+2028/U+2029)
            out += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += "\\u"
                for shift in stride(from: 12, through: 0, by: -4) {
                    out.unicodeScalars.append(hexDigits[Int((scalar.value >> UInt32(shift)) & 0xF)])
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
