#if Console
import Dispatch
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import TokenAuthCore
#if canImport(Glibc)
import Glibc
#endif

/// `tokenauth serve`: the web console and the forward-auth endpoint over one open store.
public enum ConsoleServer {
    /// Serves until SIGINT or SIGTERM, then stops accepting requests, lets those in flight finish,
    /// and closes the store (which writes the buffered usage). Blocks the calling thread.
    public static func serve(store: TokenStore, configuration: ConsoleConfiguration, logger: Logger) throws {
        let outcome = Mutex<(any Error)?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Task {
            do { try await run(store: store, configuration: configuration, logger: logger) } catch { outcome.withLock { $0 = error } }
            finished.signal()
        }
        finished.wait()
        store.close()
        logger.info("stopped; usage flushed and the store closed")
        if let error = outcome.withLock({ $0 }) { throw error }
    }

    private static func run(store: TokenStore, configuration: ConsoleConfiguration, logger: Logger) async throws {
        let renderer = try PageRenderer()
        let sessions = SessionStore(idleTimeoutMS: configuration.idleTimeoutMS)
        let codes = SignInCodes()
        let cookie = SessionCookie(secure: configuration.secureCookies)
        let announcer = SignInAnnouncer(codes: codes, member: configuration.signInMember)
        let bound = Mutex<Int?>(nil)
        // The allowlist needs the port actually bound (0 asks the kernel for one).
        let lazyAllowlist = LazyAllowlist {
            HostAllowlist(listenHost: configuration.host, port: bound.withLock { $0 } ?? configuration.port,
                          extra: configuration.extraAllowedHosts)
        }
        let router = Router(context: ConsoleContext.self)
        router.add(middleware: RequestLogMiddleware(logger: logger))
        router.add(middleware: SecurityHeadersMiddleware(pages: renderer))

        // Forward auth: before the Host check (gateways send the client's Host) and without sessions.
        let forwardAuth = ForwardAuth(store: store)
        for method in ForwardAuth.methods {
            for path in ["verify", "verify/**"] {
                router.on(RouterPath(path), method: method) { request, _ in forwardAuth.respond(request) }
            }
        }

        router.add(middleware: HostAllowlistMiddleware(allowlist: lazyAllowlist, pages: renderer))
        router.get("assets/console.css") { _, _ in Self.asset(Stylesheet.css, type: "text/css; charset=utf-8") }
        router.get("assets/console.js") { _, _ in Self.asset(Script.js, type: "text/javascript; charset=utf-8") }

        let signIn = SignInPages(store: store, pages: renderer, sessions: sessions, codes: codes, cookie: cookie, logger: logger,
                                 announce: { member in announcer.announce(member, port: bound.withLock { $0 } ?? configuration.port,
                                                                          host: configuration.host) })
        router.group("signin")
            .add(middleware: CSRFMiddleware(allowlist: lazyAllowlist, pages: renderer, requireToken: false))
            .get { request, context in signIn.form(request, context) }
            .post { request, context in try signIn.signIn(request, context) }

        let trust = configuration.trustHeader.flatMap { name in
            HTTPField.Name(name).map { TrustedHeader(name: $0, proxies: Set(configuration.trustedProxies.map(TrustedHeader.normalized))) }
        }
        let console = ConsolePages(store: store, pages: renderer, sessions: sessions, logger: logger)
        let signedIn = router.group()
            .add(middleware: SignedInMiddleware(store: store, sessions: sessions, trust: trust, cookie: cookie, pages: renderer, logger: logger))
            .add(middleware: CSRFMiddleware(allowlist: lazyAllowlist, pages: renderer))
        signedIn.get("/") { _, _ in Response.redirect(to: "/tokens", type: .found) }
        signedIn.get("tokens") { try console.tokenList($0, $1) }
        signedIn.post("tokens") { try console.createToken($0, $1) }
        signedIn.get("tokens/new") { try console.newTokenForm($0, $1) }
        signedIn.get("tokens/:id") { try console.tokenDetail($0, $1) }
        signedIn.get("tokens/:id/rename") { try console.renameForm($0, $1) }
        signedIn.post("tokens/:id/rename") { try console.rename($0, $1) }
        signedIn.post("tokens/:id/activate") { try console.activate($0, $1) }
        signedIn.get("tokens/:id/rotate") { try console.rotateForm($0, $1) }
        signedIn.post("tokens/:id/rotate") { try console.rotate($0, $1) }
        for action in ["deactivate", "revoke", "delete"] {
            signedIn.get(RouterPath("tokens/:id/\(action)"), use: console.confirm(action))
        }
        signedIn.post("tokens/:id/deactivate") { try console.deactivate($0, $1) }
        signedIn.post("tokens/:id/revoke") { try console.revoke($0, $1) }
        signedIn.post("tokens/:id/delete") { try console.delete($0, $1) }
        signedIn.get("audit") { try console.auditLog($0, $1) }
        signedIn.get("report") { try console.report($0, $1) }
        signedIn.get("members") { try console.members($0, $1) }
        signedIn.get("catalog") { try console.catalog($0, $1) }
        signedIn.post("signout") { request, context in signIn.signOut(request, context) }
        // Anything else is a 404 page, with the same headers as every page.
        for method in [HTTPRequest.Method.get, .post] {
            router.on("**", method: method) { _, _ -> Response in throw HTTPError(.notFound, message: "There is no such page.") }
        }

        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                    serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                bound.withLock { $0 = port }
                logger.info("listening on http://\(Self.urlHost(configuration.host)):\(port)")
                announcer.start(port: port, host: configuration.host)
            },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    private static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=3600"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// An IPv6 address in a URL goes in brackets.
    static func urlHost(_ host: String) -> String { host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host }
}

/// The allowlist, made once the port is known (the server binds before it answers anything).
final class LazyAllowlist: Sendable {
    private let make: @Sendable () -> HostAllowlist
    private let made = Mutex<HostAllowlist?>(nil)

    init(make: @escaping @Sendable () -> HostAllowlist) { self.make = make }

    var allowlist: HostAllowlist {
        made.withLock { value in
            if let value { return value }
            let fresh = make()
            value = fresh
            return fresh
        }
    }

    func allows(_ authority: String?) -> Bool { allowlist.allows(authority) }
}

/// Prints the `--as` sign-in links on standard output, one line each: the first when the server is
/// listening, the next each time one is used.
struct SignInAnnouncer: Sendable {
    let codes: SignInCodes
    let member: String?

    func start(port: Int, host: String) {
        guard let member else { return }
        announce(member, port: port, host: host)
    }

    func announce(_ member: String, port: Int, host: String) {
        guard member == self.member else { return }
        let code = codes.issue(for: member)
        let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : ConsoleServer.urlHost(host)
        // Standard output carries nothing but these links (the log goes to standard error).
        let line = "http://\(shown):\(port)/signin?code=\(code)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(STDOUT_FILENO, $0.baseAddress, $0.count - 1) }
    }
}
#endif
