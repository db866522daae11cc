import TokenAuthCore

/// The console's exit codes: one per status family, so that scripts can tell what went wrong
/// without parsing the message. Documented in `tokenauth --help` and in docs/cli.md.
enum Exit {
    static let ok: Int32 = 0
    /// `scan`: at least one live token was found (for CI pipelines).
    static let liveTokenFound: Int32 = 1
    /// A bad command line (unknown option, bad duration, …) or TA_INVALID_ARGUMENT.
    static let usage: Int32 = 2
    /// TA_NOT_FOUND: no such token or member (or a token this actor may not see).
    static let notFound: Int32 = 3
    /// TA_PERMISSION_DENIED.
    static let permissionDenied: Int32 = 4
    /// TA_CONFLICT: the state forbids it (activate or rotate a revoked token, another prefix, …).
    static let conflict: Int32 = 5
    /// TA_UNKNOWN_SCOPE.
    static let unknownScope: Int32 = 6
    /// TA_STORAGE_ERROR, no database at the path, or an input that cannot be read.
    static let storage: Int32 = 7
    /// TA_INTERNAL_ERROR (a bug).
    static let internalError: Int32 = 8
    /// A confirmation was declined.
    static let cancelled: Int32 = 9
    /// `verify`: 10 + the verification status, so 11 TA_MALFORMED … 18 TA_RATE_LIMITED.
    static let verificationBase: Int32 = 10

    /// The exit code of a call that failed with `status`.
    static func code(for status: Status) -> Int32 {
        switch status {
        case .ok: ok
        case .malformed, .unknownToken, .revoked, .expired, .inactive, .ownerInactive, .forbidden, .rateLimited:
            verificationBase + status.rawValue
        case .notFound: notFound
        case .permissionDenied: permissionDenied
        case .conflict: conflict
        case .unknownScope: unknownScope
        case .invalidArgument: usage
        case .storageError: storage
        case .internalError: internalError
        }
    }
}

/// A failure of the console itself (not of a library call): exits with `code` after printing
/// `message` on one line of standard error.
struct CLIFailure: Error {
    let code: Int32
    let message: String

    init(_ code: Int32, _ message: String) {
        self.code = code
        self.message = message
    }

    static func usage(_ message: String) -> CLIFailure { CLIFailure(Exit.usage, message) }
}

/// Ends the process with `code` without printing anything more (the command already said what it had to).
struct SilentExit: Error {
    let code: Int32
}
