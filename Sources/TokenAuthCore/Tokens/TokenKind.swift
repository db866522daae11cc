/// Personal tokens belong to a member and never do more than the member can now; service tokens
/// belong to no one and keep the scopes they were created with.
public enum TokenKind: Int32, Sendable {
    case personal = 1
    case service = 2

    var letter: UInt8 { self == .personal ? UInt8(ascii: "p") : UInt8(ascii: "s") }
    var word: String { self == .personal ? "personal" : "service" }

    init?(letter: UInt8) {
        switch letter {
        case UInt8(ascii: "p"): self = .personal
        case UInt8(ascii: "s"): self = .service
        default: return nil
        }
    }

    init?(word: String) {
        switch word {
        case "personal": self = .personal
        case "service": self = .service
        default: return nil
        }
    }
}
