#if Console
/// How `tokenauth serve` runs: where it listens, how people sign in, which Host names it answers.
public struct ConsoleConfiguration: Sendable {
    /// The address to listen on (default loopback only).
    public var host = "127.0.0.1"
    /// 0 asks the kernel for a free port (the address in force is logged).
    public var port = 8080
    /// The request header a trusted reverse proxy sets to the signed-in member's id.
    public var trustHeader: String?
    /// The peers whose `trustHeader` is believed (IP addresses); the header is ignored from any other.
    public var trustedProxies: [String] = []
    /// Prints a one-time sign-in link for this member on standard output.
    public var signInMember: String?
    /// Host names (with or without a port) accepted besides the listen address and localhost.
    public var extraAllowedHosts: [String] = []
    /// A session unused for this long ends.
    public var idleTimeoutMS: Int64 = 30 * 60_000
    /// Marks the session cookie `Secure` (the console is reached over HTTPS through a proxy).
    public var secureCookies = false

    /// The defaults: loopback port 8080, no sign-in way (give one), 30 minutes of idle time.
    public init() {}
}
#endif
