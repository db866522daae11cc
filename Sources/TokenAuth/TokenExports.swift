import CTokenAuth
import TokenAuthCore

public typealias CStringOut = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

/// Hands a new token to the caller: the secret (then wiped from library memory) and the id.
private func hand(_ issued: IssuedToken, _ out_token: CStringOut?, _ out_token_id: CStringOut?) throws {
    var secret = issued.secret
    defer { TokenStore.wipe(&secret) }
    let tokenCopy = try out_token.map { _ in try Convert.allocate(secret) }
    let idCopy = try out_token_id.map { _ in try Convert.allocate(issued.id.utf8) }
    out_token?.pointee = tokenCopy
    out_token_id?.pointee = idCopy
}

/// Creates a token; `*out_token` receives the secret, the only time it is ever available.
@c @implementation
public func ta_token_create(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ spec: UnsafePointer<ta_token_spec>?,
                            _ out_token: CStringOut?, _ out_token_id: CStringOut?) -> ta_status {
    clear(out_token, out_token_id)
    return abiCall {
        let target = try Convert.requireStore(store)
        guard let spec = spec?.pointee else { throw TokenAuthError(.invalidArgument, "spec is NULL") }
        let request = TokenSpec(name: try Convert.string(spec.name, "spec.name"), kind: try Convert.kind(spec.kind),
                                scopes: try Convert.string(spec.scopes, "spec.scopes"), expiresAtMS: spec.expires_at_ms,
                                rateLimit: spec.rate_limit, rateWindowMS: spec.rate_window_ms)
        let issued = try target.createToken(actor: try Convert.optionalString(actor, "actor"), spec: request)
        try hand(issued, out_token, out_token_id)
    }
}

/// Renames a token.
@c @implementation
public func ta_token_rename(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ token_id: UnsafePointer<CChar>?,
                            _ name: UnsafePointer<CChar>?) -> ta_status {
    abiCall {
        let target = try Convert.requireStore(store)
        try target.renameToken(actor: try Convert.optionalString(actor, "actor"), tokenID: try Convert.string(token_id, "token_id"),
                               name: try Convert.string(name, "name"))
    }
}

/// Deactivates or activates a token.
@c @implementation
public func ta_token_set_active(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ token_id: UnsafePointer<CChar>?,
                                _ active: Bool) -> ta_status {
    abiCall {
        let target = try Convert.requireStore(store)
        try target.setTokenActive(actor: try Convert.optionalString(actor, "actor"),
                                  tokenID: try Convert.string(token_id, "token_id"), active: active)
    }
}

/// Revokes a token at once and for good.
@c @implementation
public func ta_token_revoke(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ token_id: UnsafePointer<CChar>?) -> ta_status {
    abiCall {
        let target = try Convert.requireStore(store)
        try target.revokeToken(actor: try Convert.optionalString(actor, "actor"), tokenID: try Convert.string(token_id, "token_id"))
    }
}

/// Deletes a token's record.
@c @implementation
public func ta_token_delete(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ token_id: UnsafePointer<CChar>?) -> ta_status {
    abiCall {
        let target = try Convert.requireStore(store)
        try target.deleteToken(actor: try Convert.optionalString(actor, "actor"), tokenID: try Convert.string(token_id, "token_id"))
    }
}

/// Rotates a token: a new token now, the old one revoked once `grace_ms` has passed.
@c @implementation
public func ta_token_rotate(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ token_id: UnsafePointer<CChar>?,
                            _ grace_ms: Int64, _ out_token: CStringOut?, _ out_token_id: CStringOut?) -> ta_status {
    clear(out_token, out_token_id)
    return abiCall {
        let target = try Convert.requireStore(store)
        let issued = try target.rotateToken(actor: try Convert.optionalString(actor, "actor"),
                                            tokenID: try Convert.string(token_id, "token_id"), graceMS: grace_ms)
        try hand(issued, out_token, out_token_id)
    }
}

/// The tokens the actor can see, as JSON.
@c @implementation
public func ta_token_list(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ query: UnsafePointer<CChar>?,
                          _ out_json: CStringOut?) -> ta_status {
    clear(out_json)
    return abiCall {
        let out = try requireOut(out_json, "out_json")
        let target = try Convert.requireStore(store)
        try deliver(try target.listTokens(actor: try Convert.optionalString(actor, "actor"),
                                          query: try Convert.optionalString(query, "query")), to: out)
    }
}

/// One token, as JSON.
@c @implementation
public func ta_token_get(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ token_id: UnsafePointer<CChar>?,
                         _ out_json: CStringOut?) -> ta_status {
    clear(out_json)
    return abiCall {
        let out = try requireOut(out_json, "out_json")
        let target = try Convert.requireStore(store)
        try deliver(try target.getToken(actor: try Convert.optionalString(actor, "actor"),
                                        tokenID: try Convert.string(token_id, "token_id")), to: out)
    }
}
