#if Console
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TokenAuthCore

/// Who is signed in. Two ways, both ending in a server-side session (`SessionStore`):
/// - behind the host application's login: a trusted proxy (`--trusted-proxy`, by peer IP address)
///   sets the member id in `--trust-header`; from any other peer that header is ignored. A session
///   made this way holds only while the proxy keeps sending the same member.
/// - a one-time sign-in link (`--as MEMBER`), whose session lives until sign-out or idle timeout.
/// A request with neither goes to the sign-in page.
struct SignedInMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext
    let store: TokenStore
    let sessions: SessionStore
    let trust: TrustedHeader?
    let cookie: SessionCookie
    let pages: PageRenderer
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let existing = cookie.value(in: request).flatMap(sessions.resume)
        let proxied = trust?.member(in: request, peer: context.remoteAddress)
        var started: Session?
        switch (existing, proxied) {
        case (let session?, nil) where !session.fromTrustedHeader:
            context.session = session
        case (let session?, let member?) where session.fromTrustedHeader && session.member == member:
            context.session = session
        case (_, let member?):
            // The core judges the id: not one (400), or not an active member (403).
            _ = try store.actorRights(actor: member)
            started = sessions.start(member: member, fromTrustedHeader: true)
            context.session = started
            logger.info("session started from the trusted header", metadata: ["member": "\(member)"])
        default:
            if request.method == .get || request.method == .head { return Response.redirect(to: "/signin", type: .found) }
            return pages.plainError(.unauthorized, "You are not signed in (or your session has ended). Sign in again.")
        }
        var response = try await next(request, context)
        if let started { response.headers.append(cookie.setting(started.id)) }
        return response
    }
}

/// `--trust-header NAME --trusted-proxy IP…`: the member id a reverse proxy vouches for.
struct TrustedHeader: Sendable {
    let name: HTTPField.Name
    let proxies: Set<String>

    /// The header's value, when the peer is a trusted proxy; nil otherwise.
    func member(in request: Request, peer: SocketAddress?) -> String? {
        guard let address = peer?.ipAddress, proxies.contains(Self.normalized(address)) else { return nil }
        return request.headers[name]
    }

    /// IPv4 peers of an IPv6 socket arrive as ::ffff:a.b.c.d.
    static func normalized(_ address: String) -> String {
        address.hasPrefix("::ffff:") && address.contains(".") ? String(address.dropFirst(7)) : address
    }
}

/// The session cookie: HttpOnly, SameSite=Strict, path /, Secure when asked (behind TLS); no
/// Max-Age, so the browser drops it when it closes, and the server ends it after the idle timeout.
struct SessionCookie: Sendable {
    static let name = "tokenauth_session"
    let secure: Bool

    func value(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingSpaces == Self.name { return String(parts[1].trimmingSpaces) }
            }
        }
        return nil
    }

    func setting(_ id: String) -> HTTPField {
        HTTPField(name: .setCookie, value: "\(Self.name)=\(id); Path=/; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")")
    }

    func clearing() -> HTTPField {
        HTTPField(name: .setCookie, value: "\(Self.name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")")
    }
}

#endif
