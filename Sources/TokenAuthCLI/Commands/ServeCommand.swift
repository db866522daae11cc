#if Console
import ArgumentParser
import Logging
import TokenAuthCore
import TokenAuthWeb

/// `tokenauth serve`: the web console (the Access tokens page of the product documents) and the
/// forward-auth endpoint `/verify`, over the same core as every other command. docs/console.md.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the web console and the forward-auth endpoint /verify.",
        discussion: """
            Sign in with a one-time link (--as MEMBER prints it on standard output) or behind the host \
            application's login (--trust-header X-Forwarded-User --trusted-proxy 127.0.0.1). Stops on \
            SIGINT or SIGTERM, writing buffered usage first. See docs/console.md.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("The address to listen on (port 0: any free port).", valueName: "host:port"))
    var listen = "127.0.0.1:8080"
    @Option(name: .customLong("as"), help: ArgumentHelp("Print a one-time sign-in link for this member.", valueName: "member"))
    var signInMember: String?
    @Option(name: .customLong("trust-header"),
            help: ArgumentHelp("A header in which a trusted proxy names the signed-in member.", valueName: "name"))
    var trustHeader: String?
    @Option(name: .customLong("trusted-proxy"),
            help: ArgumentHelp("An IP address whose --trust-header is believed (repeat for several).", valueName: "ip"))
    var trustedProxies: [String] = []
    @Option(name: .customLong("allowed-host"),
            help: ArgumentHelp("Another Host name the console answers to (repeat for several).", valueName: "name[:port]"))
    var allowedHosts: [String] = []
    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("End a session unused this long.", valueName: "duration"))
    var idleTimeout = "30m"
    @Flag(name: .customLong("secure-cookies"), help: "Mark the session cookie Secure (the console is reached over HTTPS).")
    var secureCookies = false

    func validate() throws {
        if signInMember == nil, trustHeader == nil {
            throw ValidationError("give --as MEMBER (a one-time sign-in link) or --trust-header NAME --trusted-proxy IP")
        }
        if trustHeader != nil, trustedProxies.isEmpty {
            throw ValidationError("--trust-header needs --trusted-proxy IP: the header is believed from those peers only")
        }
        if !trustedProxies.isEmpty, trustHeader == nil { throw ValidationError("--trusted-proxy needs --trust-header NAME") }
    }

    func run() throws {
        var configuration = ConsoleConfiguration()
        (configuration.host, configuration.port) = try Self.address(listen)
        configuration.signInMember = signInMember
        configuration.trustHeader = trustHeader
        configuration.trustedProxies = trustedProxies
        configuration.extraAllowedHosts = allowedHosts
        configuration.idleTimeoutMS = try Parse.duration(idleTimeout, what: "--idle-timeout")
        guard configuration.idleTimeoutMS > 0 else { throw CLIFailure.usage("--idle-timeout must be longer than 0") }
        configuration.secureCookies = secureCookies
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "tokenauth.serve")
        let opened = try store.open(creating: false)
        // The member of --as must be an active member: say so now, not at the first click.
        if let signInMember { _ = try opened.actorRights(actor: signInMember) }
        try ConsoleServer.serve(store: opened, configuration: configuration, logger: logger)
    }

    /// "127.0.0.1:8080", "[::1]:8080", "localhost:0".
    static func address(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw CLIFailure.usage("--listen is host:port, e.g. 127.0.0.1:8080")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw CLIFailure.usage("--listen is host:port, e.g. 127.0.0.1:8080") }
        return (host, port)
    }
}
#endif
