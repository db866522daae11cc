#if Console
import HTTPTypes
import Hummingbird

/// Refuses a request whose Host header is not one of the console's own names, so that a DNS
/// rebinding page (evil.example resolving to 127.0.0.1) cannot drive a signed-in browser's console.
/// Allowed: the listen address, localhost, 127.0.0.1 and [::1] with the listen port, and each
/// `--allowed-host` (with its port, or with any port when it names none).
struct HostAllowlist: Sendable {
    private let exact: Set<String>
    private let anyPort: Set<String>

    init(listenHost: String, port: Int, extra: [String]) {
        var exact: Set<String> = []
        var anyPort: Set<String> = []
        let listen = listenHost.contains(":") && !listenHost.hasPrefix("[") ? "[\(listenHost)]" : listenHost
        for name in [listen, "localhost", "127.0.0.1", "[::1]"] {
            exact.insert("\(name):\(port)".lowercased())
            if port == 80 { exact.insert(name.lowercased()) }
        }
        for host in extra.map({ $0.lowercased() }) {
            if Self.splitPort(host).port != nil { exact.insert(host) } else { anyPort.insert(host) }
        }
        self.exact = exact
        self.anyPort = anyPort
    }

    /// Whether `authority` (a Host header, or an Origin's host[:port]) names this console.
    func allows(_ authority: String?) -> Bool {
        guard let authority = authority?.lowercased(), !authority.isEmpty else { return false }
        return exact.contains(authority) || anyPort.contains(Self.splitPort(authority).host)
    }

    /// "host:port" → ("host", "port"); "[::1]:8080" → ("[::1]", "8080"); "host" → ("host", nil).
    private static func splitPort(_ authority: String) -> (host: String, port: String?) {
        guard let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") else { return (authority, nil) }
        return (String(authority[..<colon]), String(authority[authority.index(after: colon)...]))
    }
}

struct HostAllowlistMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext
    let allowlist: LazyAllowlist
    let pages: PageRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard allowlist.allows(request.head.authority) else {
            return pages.plainError(.misdirectedRequest,
                                    "This console does not answer to that Host name. Open it by its own address, or start it with --allowed-host NAME.")
        }
        return try await next(request, context)
    }
}
#endif
