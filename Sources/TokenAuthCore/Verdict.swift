/// The answer to a verification, field for field what `ta_verdict` carries.
public struct Verdict: Sendable {
    public var status: Status
    public var kind: TokenKind?
    public var tokenID: String = ""
    /// The owner's member id, or the token id for a service token; "" when unknown or the owner was removed.
    public var subject: String = ""
    public var expiresAtMS: Int64 = 0
    public var rateLimit: UInt32 = 0
    public var rateRemaining: UInt32 = 0
    public var rateResetMS: Int64 = 0
    public var retryAfterMS: Int64 = 0
    public var missingScope: String = ""

    public init(status: Status) { self.status = status }
}

extension Verdict {
    /// The explanation when it names no token: static text, so failing fast costs no allocation.
    public var fixedExplanation: StaticString? {
        switch status {
        case .malformed: "the credential is not a token of this store's format (prefix, length, alphabet or checksum), nor \"Bearer <token>\""
        case .unknownToken: "no such token: it was never issued here, or it was deleted"
        case .invalidArgument: "the store is NULL, or required_scopes is not a space-separated list of scope names"
        default: nil
        }
    }

    /// A one-line explanation for `ta_last_error()`; it names the token id, never the credential.
    public var explanation: String {
        if let fixed = fixedExplanation { return fixed.description }
        switch status {
        case .ok: return ""
        default: return tokenExplanation
        }
    }

    private var tokenExplanation: String {
        switch status {
        case .revoked: "token \(tokenID) is revoked"
        case .expired: "token \(tokenID) has expired"
        case .inactive: "token \(tokenID) is deactivated"
        case .ownerInactive: "the owner of token \(tokenID) is deactivated"
        case .forbidden: "token \(tokenID) lacks the required scope \(missingScope)"
        case .rateLimited: "token \(tokenID) is over its rate limit of \(rateLimit) requests; retry after \(retryAfterMS) ms"
        case .storageError: "the database could not be read"
        default: "verification failed (\(status.name))"
        }
    }
}
