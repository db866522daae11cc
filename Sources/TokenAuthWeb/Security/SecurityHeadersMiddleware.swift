#if Console
import HTTPTypes
import Hummingbird
import Logging
import TokenAuthCore

/// The headers every response carries, and the error page for whatever a handler throws.
/// - A strict CSP: every resource from this origin, no inline script or style, no framing.
/// - `nosniff`; a Referer only within the console (a sign-in link's code never leaves in one; "no-referrer" would make browsers send `Origin: null` on every form POST); no caching of anything but
///   the static assets: a page that showed a secret is never stored.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext
    let pages: PageRenderer

    static let headers: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
        HTTPField.Name("Cross-Origin-Resource-Policy")!: "same-origin",
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = pages.error(error, context: context)
        }
        for field in Self.headers where response.headers[field.name] == nil { response.headers.append(field) }
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Logs one line per request — method, path, status, member, time taken — and never a query string,
/// a header value or a body: those may hold a sign-in code, a cookie or a token.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        // /verify is the gateways' hot path: its lines would drown the console's; debug level only.
        let level: Logger.Level = request.uri.path.hasPrefix("/verify") ? .debug : .info
        logger.log(level: level, "\(request.method) \(request.uri.path) \(response.status.code)", metadata: [
            "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ])
        return response
    }
}
#endif
