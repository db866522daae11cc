import CTokenAuth
import TokenAuthCore
#if canImport(Glibc)
import Glibc
#endif

/// Copies `text` into a fixed `char[N]` field, truncated to N-1 bytes, NUL-terminated.
private func copy<T>(_ text: String, into field: inout T) {
    guard !text.isEmpty else { return } // the field was zeroed with the verdict
    var text = text
    withUnsafeMutableBytes(of: &field) { buffer in
        text.withUTF8 { bytes in
            let count = min(bytes.count, buffer.count - 1)
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[0..<count]))
            buffer[count] = 0
        }
    }
}

private func fill(_ out: UnsafeMutablePointer<ta_verdict>?, _ verdict: Verdict) -> ta_status {
    let status = Convert.status(verdict.status)
    if let fixed = verdict.fixedExplanation {
        LastError.set(fixed)
    } else if verdict.status != .ok {
        LastError.set(verdict.explanation)
    }
    guard let out else { return status }
    out.pointee = ta_verdict()
    out.pointee.status = status
    out.pointee.http_status = Int32(verdict.status.httpStatus)
    out.pointee.kind = ta_token_kind(rawValue: UInt32(verdict.kind?.rawValue ?? 0))
    copy(verdict.tokenID, into: &out.pointee.token_id)
    copy(verdict.subject, into: &out.pointee.subject)
    out.pointee.expires_at_ms = verdict.expiresAtMS
    out.pointee.rate_limit = verdict.rateLimit
    out.pointee.rate_remaining = verdict.rateRemaining
    out.pointee.rate_reset_ms = verdict.rateResetMS
    out.pointee.retry_after_ms = verdict.retryAfterMS
    copy(verdict.missingScope, into: &out.pointee.missing_scope)
    return status
}

private func verify(_ store: OpaquePointer?, _ credential: UnsafeRawBufferPointer?, _ required_scopes: UnsafePointer<CChar>?,
                    _ out: UnsafeMutablePointer<ta_verdict>?) -> ta_status {
    LastError.clear()
    guard let store else { return fill(out, Verdict(status: .invalidArgument)) }
    let required = required_scopes.map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) }
    // The caller keeps the handle alive for the call: no retain (no shared refcount write per call).
    let verdict = Unmanaged<TokenStore>.fromOpaque(UnsafeRawPointer(store))._withUnsafeGuaranteedRef {
        $0.verify(credential: credential, requiredScopes: required)
    }
    return fill(out, verdict)
}

/// Verifies a presented credential and, if given, the scopes it must have in force.
@c @implementation
public func ta_verify(_ store: OpaquePointer?, _ credential: UnsafePointer<CChar>?, _ required_scopes: UnsafePointer<CChar>?,
                      _ out: UnsafeMutablePointer<ta_verdict>?) -> ta_status {
    let bytes = credential.map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) }
    return verify(store, bytes, required_scopes, out)
}

/// The same, for a credential that is not NUL-terminated.
@c @implementation
public func ta_verify_n(_ store: OpaquePointer?, _ credential: UnsafePointer<CChar>?, _ credential_len: Int,
                        _ required_scopes: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<ta_verdict>?) -> ta_status {
    let bytes = credential.map { UnsafeRawBufferPointer(start: $0, count: credential_len) }
    return verify(store, bytes, required_scopes, out)
}

/// Records what the gateway did with a verified request, for the per-operation statistics.
@c @implementation
public func ta_record_usage(_ store: OpaquePointer?, _ token_id: UnsafePointer<CChar>?, _ operation: UnsafePointer<CChar>?,
                            _ http_status: Int32) -> ta_status {
    abiCall {
        let target = try Convert.requireStore(store)
        try target.recordUsage(tokenID: try Convert.string(token_id, "token_id"),
                               operation: try Convert.string(operation, "operation"), httpStatus: Int(http_status))
    }
}
