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
    public var fixedExplanation: StaticString? { Self.fixedExplanation(for: status) }

    /// The explanation of `status` when it names no token.
    public static func fixedExplanation(for status: Status) -> StaticString? {
        switch status {
        case .malformed: "the credential is not a token of this store's format (prefix, length, alphabet or checksum), nor \"Bearer <token>\""
        case .unknownToken: "no such token: it was never issued here, or it was deleted"
        case .invalidArgument: "the store is NULL, required_scopes is not a space-separated list of scope names, or the resource is not a resource name ('/'-separated segments of 1..64 bytes of A-Z a-z 0-9 . _ : -, at most 1024 bytes)"
        default: nil
        }
    }

    /// A one-line explanation for `ta_last_error()`; it names the token id, never the credential,
    /// and the resource of a refusal for want of a scope there.
    public func explanation(resource: String? = nil) -> String {
        if let fixed = fixedExplanation { return fixed.description }
        switch status {
        case .ok: return ""
        case .forbidden: return tokenExplanation + (resource.map { " on resource \(Validate.printable($0))" } ?? "")
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

/// A verdict without its text: what `verify` returns when the text goes straight into the caller's
/// buffers (`VerdictText`), so that the hot path builds no String.
public struct VerdictFacts: Sendable {
    public var status: Status
    public var kind: TokenKind?
    public var expiresAtMS: Int64 = 0
    public var rateLimit: UInt32 = 0
    public var rateRemaining: UInt32 = 0
    public var rateResetMS: Int64 = 0
    public var retryAfterMS: Int64 = 0

    public init(status: Status) { self.status = status }
}

/// Where `verify` writes a verdict's text: caller-owned buffers, each filled NUL-terminated and
/// truncated to fit; an empty buffer receives nothing. Buffers are expected to be zeroed.
public struct VerdictText {
    public var tokenID: UnsafeMutableRawBufferPointer
    public var subject: UnsafeMutableRawBufferPointer
    public var missingScope: UnsafeMutableRawBufferPointer

    public init(tokenID: UnsafeMutableRawBufferPointer, subject: UnsafeMutableRawBufferPointer,
                missingScope: UnsafeMutableRawBufferPointer) {
        self.tokenID = tokenID
        self.subject = subject
        self.missingScope = missingScope
    }

    /// Copies `bytes` into `field`, truncated to `field.count - 1`, and terminates it.
    static func fill(_ field: UnsafeMutableRawBufferPointer, with bytes: UnsafeRawBufferPointer) {
        guard field.count > 0 else { return }
        let count = min(bytes.count, field.count - 1)
        if count > 0, let source = bytes.baseAddress { field.baseAddress?.copyMemory(from: source, byteCount: count) }
        field[count] = 0
    }

    /// The text up to the first NUL.
    static func string(_ field: UnsafeMutableRawBufferPointer) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }
}

extension Verdict {
    /// The whole verdict, from its facts and its text.
    public init(_ facts: VerdictFacts, text: VerdictText) {
        status = facts.status
        kind = facts.kind
        tokenID = VerdictText.string(text.tokenID)
        subject = VerdictText.string(text.subject)
        expiresAtMS = facts.expiresAtMS
        rateLimit = facts.rateLimit
        rateRemaining = facts.rateRemaining
        rateResetMS = facts.rateResetMS
        retryAfterMS = facts.retryAfterMS
        missingScope = VerdictText.string(text.missingScope)
    }

    /// Runs a verification that writes its text into temporary buffers, and returns the whole verdict.
    static func collect(_ verify: (VerdictText) -> VerdictFacts) -> Verdict {
        withUnsafeTemporaryAllocation(byteCount: 3 * fieldSize, alignment: 8) { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            let text = VerdictText(tokenID: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<fieldSize]),
                                   subject: UnsafeMutableRawBufferPointer(rebasing: buffer[fieldSize..<2 * fieldSize]),
                                   missingScope: UnsafeMutableRawBufferPointer(rebasing: buffer[2 * fieldSize..<3 * fieldSize]))
            return Verdict(verify(text), text: text)
        }
    }

    /// Large enough for any identifier or scope name (`TA_ID_MAX`, `TA_SCOPE_MAX`).
    private static let fieldSize = 64
}
