import CTokenAuth
import TokenAuthCore

/// Opens (creating if needed) the database at `path`; ":memory:" gives a private in-memory store.
@c @implementation
public func ta_open(_ path: UnsafePointer<CChar>?, _ config: UnsafePointer<ta_config>?,
                    _ out_store: UnsafeMutablePointer<OpaquePointer?>?) -> ta_status {
    out_store?.pointee = nil
    return abiCall {
        guard let out_store else { throw TokenAuthError(.invalidArgument, "out_store is NULL") }
        let location = try Convert.string(path, "path")
        var configuration = StoreConfiguration()
        if let config = config?.pointee {
            configuration.tokenPrefix = try Convert.optionalString(config.token_prefix, "token_prefix")
            configuration.defaultRateLimit = config.default_rate_limit
            configuration.defaultRateWindowMS = config.default_rate_window_ms
            configuration.usageFlushMS = config.usage_flush_ms
            configuration.busyTimeoutMS = config.busy_timeout_ms
        }
        let store = try TokenStore.open(path: location, configuration: configuration)
        out_store.pointee = OpaquePointer(Unmanaged.passRetained(store).toOpaque())
    }
}

/// Writes all usage still held in memory.
@c @implementation
public func ta_flush(_ store: OpaquePointer?) -> ta_status {
    abiCall { try Convert.requireStore(store).flush() }
}

/// Flushes, then frees the handle. NULL is a no-op.
@c @implementation
public func ta_close(_ store: OpaquePointer?) {
    LastError.clear()
    guard let store else { return }
    let unmanaged = Unmanaged<TokenStore>.fromOpaque(UnsafeRawPointer(store))
    unmanaged.takeUnretainedValue().close()
    unmanaged.release()
}

/// For tests: makes the store's clock read `now_ms` (0 returns it to the wall clock).
@c @implementation
public func ta_set_clock(_ store: OpaquePointer?, _ now_ms: Int64) {
    LastError.clear()
    Convert.store(store)?.setClock(now_ms)
}

/// Bounds the in-memory verification index of this handle to `max_tokens` tokens (0 turns it off).
@c @implementation
public func ta_set_index_limit(_ store: OpaquePointer?, _ max_tokens: Int) -> ta_status {
    abiCall { try Convert.requireStore(store).setIndexCapacity(max_tokens) }
}

/// Chooses how this handle's rate limits are shared (TA_RATE_LIMIT_SHARED or TA_RATE_LIMIT_PER_HANDLE).
@c @implementation
public func ta_set_rate_limit_policy(_ store: OpaquePointer?, _ policy: ta_rate_limit_policy) -> ta_status {
    abiCall {
        let chosen: RateLimitPolicy
        switch policy {
        case TA_RATE_LIMIT_SHARED: chosen = .shared
        case TA_RATE_LIMIT_PER_HANDLE: chosen = .perHandle
        default: throw TokenAuthError(.invalidArgument, "policy must be TA_RATE_LIMIT_SHARED or TA_RATE_LIMIT_PER_HANDLE")
        }
        try Convert.requireStore(store).setRateLimitPolicy(chosen)
    }
}

/// The rate-limit policy in force and the state of its buckets, as JSON.
@c @implementation
public func ta_rate_limit_info(_ store: OpaquePointer?, _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> ta_status {
    clear(out_json)
    return abiCall {
        let out = try requireOut(out_json, "out_json")
        try deliver(try Convert.requireStore(store).rateLimitInfo(), to: out)
    }
}
