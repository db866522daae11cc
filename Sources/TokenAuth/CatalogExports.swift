import CTokenAuth
import TokenAuthCore

/// Adds a scope to the catalog, or replaces its implications and description.
@c @implementation
public func ta_scope_define(_ store: OpaquePointer?, _ scope: UnsafePointer<CChar>?, _ implies: UnsafePointer<CChar>?,
                            _ description: UnsafePointer<CChar>?) -> ta_status {
    abiCall {
        let target = try Convert.requireStore(store)
        try target.defineScope(try Convert.string(scope, "scope"), implies: try Convert.optionalString(implies, "implies"),
                               description: try Convert.optionalString(description, "description"))
    }
}

/// The catalog as JSON.
@c @implementation
public func ta_scope_list(_ store: OpaquePointer?, _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> ta_status {
    clear(out_json)
    return abiCall {
        let out = try requireOut(out_json, "out_json")
        try deliver(try Convert.requireStore(store).listScopes(), to: out)
    }
}

/// Creates or updates a member and its permissions.
@c @implementation
public func ta_member_put(_ store: OpaquePointer?, _ member_id: UnsafePointer<CChar>?,
                          _ permissions: UnsafePointer<CChar>?) -> ta_status {
    abiCall {
        let target = try Convert.requireStore(store)
        try target.putMember(try Convert.string(member_id, "member_id"), permissions: try Convert.string(permissions, "permissions"))
    }
}

/// Deactivates or activates a member.
@c @implementation
public func ta_member_set_active(_ store: OpaquePointer?, _ member_id: UnsafePointer<CChar>?, _ active: Bool) -> ta_status {
    abiCall { try Convert.requireStore(store).setMemberActive(try Convert.string(member_id, "member_id"), active: active) }
}

/// Removes a member; their personal tokens are revoked for good.
@c @implementation
public func ta_member_remove(_ store: OpaquePointer?, _ member_id: UnsafePointer<CChar>?) -> ta_status {
    abiCall { try Convert.requireStore(store).removeMember(try Convert.string(member_id, "member_id")) }
}

/// The members as JSON.
@c @implementation
public func ta_member_list(_ store: OpaquePointer?, _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> ta_status {
    clear(out_json)
    return abiCall {
        let out = try requireOut(out_json, "out_json")
        try deliver(try Convert.requireStore(store).listMembers(), to: out)
    }
}
