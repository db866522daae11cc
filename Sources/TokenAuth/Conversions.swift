import CTokenAuth
import TokenAuthCore
#if canImport(Glibc)
import Glibc
#endif

/// Converting between C and Swift at the boundary. Nothing here decides policy.
enum Convert {
    /// A required NUL-terminated UTF-8 argument.
    static func string(_ pointer: UnsafePointer<CChar>?, _ what: String) throws -> String {
        guard let pointer else { throw TokenAuthError(.invalidArgument, "\(what) is NULL") }
        return try validUTF8(pointer, what)
    }

    /// An optional NUL-terminated UTF-8 argument (NULL allowed).
    static func optionalString(_ pointer: UnsafePointer<CChar>?, _ what: String) throws -> String? {
        guard let pointer else { return nil }
        return try validUTF8(pointer, what)
    }

    private static func validUTF8(_ pointer: UnsafePointer<CChar>, _ what: String) throws -> String {
        guard let value = String(validatingCString: pointer) else {
            throw TokenAuthError(.invalidArgument, "\(what) is not valid UTF-8")
        }
        return value
    }

    /// The store behind a handle, or nil for NULL.
    static func store(_ handle: OpaquePointer?) -> TokenStore? {
        guard let handle else { return nil }
        return Unmanaged<TokenStore>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    /// The store behind a handle, usable in this process; throws for NULL or a handle from before a fork.
    static func requireStore(_ handle: OpaquePointer?) throws -> TokenStore {
        guard let store = store(handle) else { throw TokenAuthError(.invalidArgument, "store is NULL") }
        try store.checkOwnedByThisProcess()
        return store
    }

    /// Copies `bytes` into a new malloc'd NUL-terminated string for a `char **out` (freed by ta_free).
    static func allocate(_ bytes: some Collection<UInt8>) throws -> UnsafeMutablePointer<CChar> {
        guard let buffer = malloc(bytes.count + 1)?.assumingMemoryBound(to: CChar.self) else {
            throw TokenAuthError(.internalError, "out of memory")
        }
        var index = 0
        for byte in bytes {
            buffer[index] = CChar(bitPattern: byte)
            index += 1
        }
        buffer[index] = 0
        return buffer
    }

    /// A `ta_token_spec`; `what` names it in messages ("spec", "specs[3]").
    static func tokenSpec(_ spec: ta_token_spec, _ what: String) throws -> TokenSpec {
        TokenSpec(name: try string(spec.name, "\(what).name"), kind: try kind(spec.kind, "\(what).kind"),
                  scopes: try string(spec.scopes, "\(what).scopes"), expiresAtMS: spec.expires_at_ms,
                  rateLimit: spec.rate_limit, rateWindowMS: spec.rate_window_ms)
    }

    /// A caller's array of `count` `char *` results (`char **out_tokens`), or nil for NULL.
    static func array(_ pointer: CStringOut?, count: Int) -> CStringArray? {
        pointer.map { CStringArray(start: $0, count: count) }
    }

    static func status(_ status: Status) -> ta_status { ta_status(rawValue: UInt32(status.rawValue)) }

    static func kind(_ value: ta_token_kind, _ what: String) throws -> TokenKind {
        guard let kind = TokenKind(rawValue: Int32(bitPattern: value.rawValue)) else {
            throw TokenAuthError(.invalidArgument, "\(what) must be TA_KIND_PERSONAL (1) or TA_KIND_SERVICE (2)")
        }
        return kind
    }
}

/// Runs one ABI call: clears this thread's last error, maps a thrown error (or an unexpected one) to
/// its status and message. The body writes its out-parameters only once everything succeeded.
func abiCall(_ body: () throws -> Void) -> ta_status {
    LastError.clear()
    do {
        try body()
        return TA_OK
    } catch let error as TokenAuthError {
        LastError.set(error.message)
        return Convert.status(error.status)
    } catch {
        LastError.set("internal error")
        return TA_INTERNAL_ERROR
    }
}

/// Sets every `char **out` to NULL up front, so that each is NULL on failure.
func clear(_ outs: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?...) {
    for out in outs { out?.pointee = nil }
}

/// The same for arrays of results: every element NULL up front.
func clear(_ arrays: CStringArray?...) {
    for array in arrays { array?.update(repeating: nil) }
}

/// A required `char **out`, checked before the call does anything.
func requireOut(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ what: String) throws
    -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
    guard let out else { throw TokenAuthError(.invalidArgument, "\(what) is NULL") }
    out.pointee = nil
    return out
}

/// Writes a JSON (or other) string result to a `char **out`.
func deliver(_ text: String, to out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws {
    out.pointee = try Convert.allocate(text.utf8)
}
