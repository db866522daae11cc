/// The outcome of every library call. The raw values are the C ABI's `ta_status` numbers.
public enum Status: Int32, Sendable, CaseIterable {
    case ok = 0
    case malformed = 1
    case unknownToken = 2
    case revoked = 3
    case expired = 4
    case inactive = 5
    case ownerInactive = 6
    case forbidden = 7
    case rateLimited = 8
    case notFound = 20
    case permissionDenied = 21
    case conflict = 22
    case unknownScope = 23
    case invalidArgument = 24
    case storageError = 40
    case internalError = 41

    /// The C constant's name, e.g. "TA_FORBIDDEN".
    public var name: String {
        switch self {
        case .ok: "TA_OK"
        case .malformed: "TA_MALFORMED"
        case .unknownToken: "TA_UNKNOWN_TOKEN"
        case .revoked: "TA_REVOKED"
        case .expired: "TA_EXPIRED"
        case .inactive: "TA_INACTIVE"
        case .ownerInactive: "TA_OWNER_INACTIVE"
        case .forbidden: "TA_FORBIDDEN"
        case .rateLimited: "TA_RATE_LIMITED"
        case .notFound: "TA_NOT_FOUND"
        case .permissionDenied: "TA_PERMISSION_DENIED"
        case .conflict: "TA_CONFLICT"
        case .unknownScope: "TA_UNKNOWN_SCOPE"
        case .invalidArgument: "TA_INVALID_ARGUMENT"
        case .storageError: "TA_STORAGE_ERROR"
        case .internalError: "TA_INTERNAL_ERROR"
        }
    }

    /// The HTTP status a gateway answers with.
    public var httpStatus: Int {
        switch self {
        case .ok: 200
        case .malformed, .unknownToken, .revoked, .expired: 401
        case .inactive, .ownerInactive, .forbidden, .permissionDenied: 403
        case .rateLimited: 429
        case .notFound: 404
        case .conflict: 409
        case .unknownScope, .invalidArgument: 400
        case .storageError: 503
        case .internalError: 500
        }
    }

    /// The reason phrase used in the JSON error body ({"success":false,"errors":[phrase],"data":null}).
    public var reasonPhrase: String? {
        switch self {
        case .ok: nil
        case .malformed, .unknownToken, .revoked, .expired: "Unauthorized"
        case .inactive, .ownerInactive, .forbidden, .permissionDenied: "Forbidden"
        case .rateLimited: "Too Many Requests"
        case .notFound: "Not Found"
        case .conflict: "Conflict"
        case .unknownScope, .invalidArgument: "Bad Request"
        case .storageError: "Service Unavailable"
        case .internalError: "Internal Server Error"
        }
    }

    /// The product documents' error body for this status, e.g.
    /// {"success":false,"errors":["Forbidden"],"data":null}; nil for `.ok`.
    public var errorJSON: String? { reasonPhrase.map(Self.errorBody) }

    /// The error body with `phrase` as its one error.
    public static func errorBody(_ phrase: String) -> String {
        "{\"success\":false,\"errors\":[\"\(phrase)\"],\"data\":null}"
    }

    /// The lower-case word used for a token's status in JSON ("revoked", …), for verification outcomes.
    var tokenStatusWord: String? {
        switch self {
        case .ok: "active"
        case .revoked: "revoked"
        case .expired: "expired"
        case .inactive: "inactive"
        case .ownerInactive: "owner_inactive"
        default: nil
        }
    }
}

/// A failed call: the status to return and the text for `ta_last_error()`. Never holds a secret.
public struct TokenAuthError: Error, Sendable {
    public let status: Status
    public let message: String
    /// Set when IAM refused the call: the refusal is audited as `iam.denied`.
    let iamDenial: IAMDenial?

    public init(_ status: Status, _ message: String) {
        self.init(status, message, iamDenial: nil)
    }

    init(_ status: Status, _ message: String, iamDenial: IAMDenial?) {
        self.status = status
        self.message = message
        self.iamDenial = iamDenial
    }

    /// The same error with `context` in front of its message: "specs[3]: name is empty".
    func within(_ context: String) -> TokenAuthError {
        TokenAuthError(status, "\(context): \(message)", iamDenial: iamDenial)
    }

    static func invalid(_ message: String) -> TokenAuthError { TokenAuthError(.invalidArgument, message) }
    static func `internal`(_ message: String) -> TokenAuthError { TokenAuthError(.internalError, message) }
}

/// What an IAM refusal is audited with.
struct IAMDenial: Sendable {
    let actor: String
    let tokenID: String?
}
