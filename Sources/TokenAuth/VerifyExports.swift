import CTokenAuth
import TokenAuthCore
#if canImport(Glibc)
import Glibc
#endif

/// A `char[N]` field of `*out` as a raw buffer for the core to write into.
private func field<T>(_ out: UnsafeMutablePointer<ta_verdict>, _ path: KeyPath<ta_verdict, T>) -> UnsafeMutableRawBufferPointer {
    guard let offset = MemoryLayout<ta_verdict>.offset(of: path) else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
    return UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(out) + offset, count: MemoryLayout<T>.size)
}

private func verify(_ store: OpaquePointer?, _ credential: UnsafeRawBufferPointer?, _ required_scopes: UnsafePointer<CChar>?,
                    _ resource: UnsafePointer<CChar>? = nil, _ out: UnsafeMutablePointer<ta_verdict>?) -> ta_status {
    LastError.clear()
    guard let out else {
        var scratch = ta_verdict() // ta_last_error() still explains a refusal
        return verify(store, credential, required_scopes, resource, &scratch)
    }
    let resourceBytes = resource.map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) }
    // memset: assigning ta_verdict() would build a zeroed copy and move it.
    UnsafeMutableRawPointer(out).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<ta_verdict>.size)
    let text = VerdictText(tokenID: field(out, \.token_id), subject: field(out, \.subject),
                           missingScope: field(out, \.missing_scope))
    let facts: VerdictFacts
    if let store {
        let required = required_scopes.map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) }
        // The caller keeps the handle alive for the call: no retain (no shared refcount write per call).
        facts = Unmanaged<TokenStore>.fromOpaque(UnsafeRawPointer(store))._withUnsafeGuaranteedRef {
            $0.verify(credential: credential, requiredScopes: required, resource: resourceBytes, text: text)
        }
    } else {
        facts = VerdictFacts(status: .invalidArgument)
    }
    let status = Convert.status(facts.status)
    out.pointee.status = status
    out.pointee.http_status = Int32(facts.status.httpStatus)
    out.pointee.kind = ta_token_kind(rawValue: UInt32(facts.kind?.rawValue ?? 0))
    out.pointee.expires_at_ms = facts.expiresAtMS
    out.pointee.rate_limit = facts.rateLimit
    out.pointee.rate_remaining = facts.rateRemaining
    out.pointee.rate_reset_ms = facts.rateResetMS
    out.pointee.retry_after_ms = facts.retryAfterMS
    // A refusal that names no token has static text: failing fast costs no allocation.
    if let fixed = Verdict.fixedExplanation(for: facts.status) {
        LastError.set(fixed)
    } else if facts.status != .ok {
        LastError.set(Verdict(facts, text: text).explanation(resource: resourceBytes.flatMap {
            $0.isEmpty ? nil : String(decoding: $0, as: UTF8.self)
        }))
    }
    return status
}

/// Verifies a presented credential and, if given, the scopes it must have in force.
@c @implementation
public func ta_verify(_ store: OpaquePointer?, _ credential: UnsafePointer<CChar>?, _ required_scopes: UnsafePointer<CChar>?,
                      _ out: UnsafeMutablePointer<ta_verdict>?) -> ta_status {
    let bytes = credential.map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) }
    return verify(store, bytes, required_scopes, nil, out)
}

/// The same, for a credential that is not NUL-terminated.
@c @implementation
public func ta_verify_n(_ store: OpaquePointer?, _ credential: UnsafePointer<CChar>?, _ credential_len: Int,
                        _ required_scopes: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<ta_verdict>?) -> ta_status {
    let bytes = credential.map { UnsafeRawBufferPointer(start: $0, count: credential_len) }
    return verify(store, bytes, required_scopes, nil, out)
}

/// Verifies a credential and the scopes it must have in force on `resource`.
@c @implementation
public func ta_verify_resource(_ store: OpaquePointer?, _ credential: UnsafePointer<CChar>?, _ required_scopes: UnsafePointer<CChar>?,
                               _ resource: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<ta_verdict>?) -> ta_status {
    let bytes = credential.map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) }
    return verify(store, bytes, required_scopes, resource, out)
}

/// The same, for a credential that is not NUL-terminated.
@c @implementation
public func ta_verify_resource_n(_ store: OpaquePointer?, _ credential: UnsafePointer<CChar>?, _ credential_len: Int,
                                 _ required_scopes: UnsafePointer<CChar>?, _ resource: UnsafePointer<CChar>?,
                                 _ out: UnsafeMutablePointer<ta_verdict>?) -> ta_status {
    let bytes = credential.map { UnsafeRawBufferPointer(start: $0, count: credential_len) }
    return verify(store, bytes, required_scopes, resource, out)
}

/// Whether `required_scopes` and `resource` are well-formed, as a verification judges them before
/// it looks at a token; no store needed (a gateway checks its fixed configuration with it).
@c @implementation
public func ta_check_verify_input(_ required_scopes: UnsafePointer<CChar>?, _ resource: UnsafePointer<CChar>?) -> ta_status {
    abiCall {
        try VerifyInput.check(requiredScopes: required_scopes.map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) },
                              resource: resource.map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) })
    }
}

/// Records what the gateway did with a verified request, for the per-operation statistics.
@c @implementation
public func ta_record_usage(_ store: OpaquePointer?, _ token_id: UnsafePointer<CChar>?, _ operation: UnsafePointer<CChar>?,
                            _ http_status: Int32) -> ta_status {
    abiCall {
        guard let store else { throw TokenAuthError(.invalidArgument, "store is NULL") }
        guard let token_id else { throw TokenAuthError(.invalidArgument, "token_id is NULL") }
        guard let operation else { throw TokenAuthError(.invalidArgument, "operation is NULL") }
        // As for ta_verify: the caller keeps the handle alive, so no reference count is written.
        try Unmanaged<TokenStore>.fromOpaque(UnsafeRawPointer(store))._withUnsafeGuaranteedRef {
            try $0.recordUsage(tokenID: UnsafeRawBufferPointer(start: token_id, count: strlen(token_id)),
                               operation: UnsafeRawBufferPointer(start: operation, count: strlen(operation)),
                               httpStatus: Int(http_status))
        }
    }
}

/// The rate limit stored with a token, for a gateway's RateLimit-Policy header.
@c @implementation
public func ta_token_rate_limit(_ store: OpaquePointer?, _ token_id: UnsafePointer<CChar>?,
                                _ out_limit: UnsafeMutablePointer<UInt32>?, _ out_window_ms: UnsafeMutablePointer<UInt32>?) -> ta_status {
    out_limit?.pointee = 0
    out_window_ms?.pointee = 0
    return abiCall {
        let target = try Convert.requireStore(store)
        let limit = try target.rateLimit(tokenID: try Convert.string(token_id, "token_id"))
        out_limit?.pointee = limit?.limit ?? 0
        out_window_ms?.pointee = limit?.windowMS ?? 0
    }
}
