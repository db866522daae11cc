#if Console
import HTTPTypes
import Hummingbird
import Logging
import TokenAuthCore

/// What the page handlers share: the store (every read and change goes through it, as the member
/// signed in: IAM decides in the core), the renderer, the sessions and the log.
struct ConsolePages: Sendable {
    let store: TokenStore
    let pages: PageRenderer
    let sessions: SessionStore
    let logger: Logger

    /// What the signed-in member may do in general (the core refuses an inactive or unknown member).
    func rights(_ context: ConsoleContext) throws -> RightsJSON {
        try CoreJSON.decode(RightsJSON.self, store.actorRights(actor: context.member))
    }

    /// The layout around a page: navigation by the member's rights, the notice left for this page.
    func frame(_ context: ConsoleContext, _ rights: RightsJSON, title: String, current: String) -> Frame {
        var nav = [("/tokens", "Access tokens")]
        if rights.audit { nav.append(("/audit", "Audit log")) }
        nav += [("/report", "Report"), ("/members", "Members"), ("/catalog", "Scopes")]
        return Frame(title: title, member: context.member, csrf: context.session?.csrfToken,
                     nav: nav.map { Frame.NavItem(href: $0.0, label: $0.1, current: $0.0 == current) },
                     notice: context.session.flatMap { sessions.takeNotice(for: $0.id) })
    }

    /// After a change: back to `location` (POST-redirect-GET) with `notice` shown there once.
    func redirect(_ context: ConsoleContext, to location: String, notice: String) -> Response {
        if let session = context.session { sessions.leaveNotice(notice, for: session.id) }
        return Response.redirect(to: location, type: .normal)
    }

    /// The query parameters of a GET.
    func query(_ request: Request) -> FormFields { FormFields(encoded: Substring(request.uri.query ?? "")) }

    /// Logs a change made through the console: who, what, which token; never a secret or a name.
    func audit(_ context: ConsoleContext, _ action: String, token: String) {
        logger.info("\(action)", metadata: ["member": "\(context.member)", "token": "\(token)"])
    }
}

/// Builds the query string of a link: `?a=1&b=x%20y`, percent-encoding everything but unreserved bytes.
enum LinkQuery {
    static func make(_ pairs: [(String, String?)]) -> String {
        let present = pairs.compactMap { pair in pair.1.flatMap { $0.isEmpty ? nil : "\(pair.0)=\(encode($0))" } }
        return present.isEmpty ? "" : "?" + present.joined(separator: "&")
    }

    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(digits[Int(byte >> 4)])
                out.unicodeScalars.append(digits[Int(byte & 0x0F)])
            }
        }
        return out
    }
}

/// A value going into one of the core's space-separated `key=value` queries: one word, no `=`, so
/// that it can never add a filter of its own.
enum QueryWord {
    static func check(_ value: String?, _ what: String) throws -> String? {
        guard let value, !value.isEmpty else { return nil }
        guard !value.contains(" "), !value.contains("=") else {
            throw TokenAuthError(.invalidArgument, "\(what) is one word, without spaces or \"=\"")
        }
        return value
    }
}

/// A labelled choice of a `<select>` or a radio group.
struct Choice: Sendable {
    let value: String
    let label: String
    let selected: Bool
    /// The same, for a radio button (templates see stored properties only).
    let checked: Bool

    init(value: String, label: String, selected: Bool) {
        self.value = value
        self.label = label
        self.selected = selected
        checked = selected
    }
}
#endif
