import CTokenAuth
import TokenAuthCore

/// One page of the tokens the actor can see, newest first, as JSON.
@c @implementation
public func ta_token_page(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ query: UnsafePointer<CChar>?,
                          _ name_contains: UnsafePointer<CChar>?, _ out_json: CStringOut?) -> ta_status {
    clear(out_json)
    return abiCall {
        let out = try requireOut(out_json, "out_json")
        let target = try Convert.requireStore(store)
        try deliver(try target.tokenPage(actor: try Convert.optionalString(actor, "actor"),
                                         query: try Convert.optionalString(query, "query"),
                                         nameContains: try Convert.optionalString(name_contains, "name_contains")), to: out)
    }
}

/// What the actor may do with one token, as JSON.
@c @implementation
public func ta_token_actions(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ token_id: UnsafePointer<CChar>?,
                             _ out_json: CStringOut?) -> ta_status {
    clear(out_json)
    return abiCall {
        let out = try requireOut(out_json, "out_json")
        let target = try Convert.requireStore(store)
        try deliver(try target.tokenActions(actor: try Convert.optionalString(actor, "actor"),
                                            tokenID: try Convert.string(token_id, "token_id")), to: out)
    }
}

/// What the actor may create, grant and read, as JSON.
@c @implementation
public func ta_actor_rights(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ out_json: CStringOut?) -> ta_status {
    clear(out_json)
    return abiCall {
        let out = try requireOut(out_json, "out_json")
        let target = try Convert.requireStore(store)
        try deliver(try target.actorRights(actor: try Convert.optionalString(actor, "actor")), to: out)
    }
}

/// The members the actor may see, as JSON.
@c @implementation
public func ta_member_list_for(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ out_json: CStringOut?) -> ta_status {
    clear(out_json)
    return abiCall {
        let out = try requireOut(out_json, "out_json")
        let target = try Convert.requireStore(store)
        try deliver(try target.listMembers(actor: try Convert.optionalString(actor, "actor")), to: out)
    }
}
