import CTokenAuth
import TokenAuthCore
#if canImport(Glibc)
import Glibc
#endif

public typealias CStringOut = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
/// A caller's array of `char *` results (`char **out_tokens` with its count).
typealias CStringArray = UnsafeMutableBufferPointer<UnsafeMutablePointer<CChar>?>

/// Hands new tokens to the caller: element i of `tokens` / `ids` (each nil if unwanted) receives
/// token i's secret / id, malloc'd for ta_free. Either everything is written or, on failure,
/// nothing, and no copy of a secret survives. The secrets are wiped from library memory either way.
private func hand(_ issued: inout [IssuedToken], _ tokens: CStringArray?, _ ids: CStringArray?) throws {
    defer { for index in issued.indices { issued[index].wipeSecret() } }
    guard tokens.map({ $0.count == issued.count }) ?? true, ids.map({ $0.count == issued.count }) ?? true else {
        throw TokenAuthError(.internalError, "issued \(issued.count) tokens for another number of results")
    }
    var secretCopies: [UnsafeMutablePointer<CChar>] = []
    var idCopies: [UnsafeMutablePointer<CChar>] = []
    do {
        if tokens != nil { for token in issued { secretCopies.append(try Convert.allocate(token.secret)) } }
        if ids != nil { for token in issued { idCopies.append(try Convert.allocate(token.id.utf8)) } }
    } catch {
        for copy in secretCopies {
            TokenStore.wipe(UnsafeMutableRawBufferPointer(start: copy, count: strlen(copy)))
            free(copy)
        }
        for copy in idCopies { free(copy) }
        throw error
    }
    if let tokens { for (slot, copy) in zip(tokens.indices, secretCopies) { tokens[slot] = copy } }
    if let ids { for (slot, copy) in zip(ids.indices, idCopies) { ids[slot] = copy } }
}

/// Creates a token; `*out_token` receives the secret, the only time it is ever available.
@c @implementation
public func ta_token_create(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ spec: UnsafePointer<ta_token_spec>?,
                            _ out_token: CStringOut?, _ out_token_id: CStringOut?) -> ta_status {
    clear(out_token, out_token_id)
    return abiCall {
        let target = try Convert.requireStore(store)
        guard let spec = spec?.pointee else { throw TokenAuthError(.invalidArgument, "spec is NULL") }
        let request = try Convert.tokenSpec(spec, "spec")
        var issued = [try target.createToken(actor: try Convert.optionalString(actor, "actor"), spec: request)]
        try hand(&issued, Convert.array(out_token, count: 1), Convert.array(out_token_id, count: 1))
    }
}

/// Creates `count` tokens in one transaction, all or none; element i of each out array receives
/// token i's secret / id.
@c @implementation
public func ta_token_create_batch(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?,
                                  _ specs: UnsafePointer<ta_token_spec>?, _ count: Int,
                                  _ out_tokens: CStringOut?, _ out_token_ids: CStringOut?) -> ta_status {
    abiCall {
        // The count first: the arrays are only known to hold `count` pointers once it is in range.
        try TokenStore.checkBatchCount(count)
        let tokens = Convert.array(out_tokens, count: count), ids = Convert.array(out_token_ids, count: count)
        clear(tokens, ids)
        let target = try Convert.requireStore(store)
        guard let specs else { throw TokenAuthError(.invalidArgument, "specs is NULL") }
        let requests = try UnsafeBufferPointer(start: specs, count: count).enumerated().map { index, spec in
            try Convert.tokenSpec(spec, "specs[\(index)]")
        }
        var issued = try target.createTokens(actor: try Convert.optionalString(actor, "actor"), specs: requests)
        try hand(&issued, tokens, ids)
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
        var issued = [try target.rotateToken(actor: try Convert.optionalString(actor, "actor"),
                                             tokenID: try Convert.string(token_id, "token_id"), graceMS: grace_ms)]
        try hand(&issued, Convert.array(out_token, count: 1), Convert.array(out_token_id, count: 1))
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
