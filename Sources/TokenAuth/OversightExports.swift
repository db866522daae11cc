import CTokenAuth
import TokenAuthCore

/// Usage statistics of one token, as JSON.
@c @implementation
public func ta_token_stats(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ token_id: UnsafePointer<CChar>?,
                           _ since_ms: Int64, _ out_json: CStringOut?) -> ta_status {
    clear(out_json)
    return abiCall {
        let out = try requireOut(out_json, "out_json")
        let target = try Convert.requireStore(store)
        try deliver(try target.stats(actor: try Convert.optionalString(actor, "actor"),
                                     tokenID: try Convert.string(token_id, "token_id"), sinceMS: since_ms), to: out)
    }
}

/// The audit log as JSON, newest first.
@c @implementation
public func ta_audit(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ query: UnsafePointer<CChar>?,
                     _ out_json: CStringOut?) -> ta_status {
    clear(out_json)
    return abiCall {
        let out = try requireOut(out_json, "out_json")
        let target = try Convert.requireStore(store)
        try deliver(try target.audit(actor: try Convert.optionalString(actor, "actor"),
                                     query: try Convert.optionalString(query, "query")), to: out)
    }
}

/// The least-privilege and hygiene report, as JSON.
@c @implementation
public func ta_report(_ store: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ since_ms: Int64,
                      _ out_json: CStringOut?) -> ta_status {
    clear(out_json)
    return abiCall {
        let out = try requireOut(out_json, "out_json")
        let target = try Convert.requireStore(store)
        try deliver(try target.report(actor: try Convert.optionalString(actor, "actor"), sinceMS: since_ms), to: out)
    }
}
