/// How this handle's rate limits are shared with the store's other handles.
public enum RateLimitPolicy: Sendable {
    /// One bucket per token for every process of the host that opens the same database file (the
    /// default); on PostgreSQL, one budget for the whole fleet.
    case shared
    /// One bucket per token for this handle alone (the only policy of a `:memory:` store).
    case perHandle
}

/// Rate-limit policy and its state (`ta_set_rate_limit_policy`, `ta_rate_limit_info`).
extension TokenStore {
    /// Chooses the policy for this handle's verifications from now on (buckets do not carry over:
    /// set it right after opening). TA_CONFLICT for `.shared` on a store no other process can open.
    public func setRateLimitPolicy(_ policy: RateLimitPolicy) throws {
        guard limiter.share(policy == .shared) else {
            throw TokenAuthError(.conflict, "a :memory: store cannot share its rate limits: no other handle can open it")
        }
    }

    /// The policy in force and the state of its table, as JSON: {"policy": "host"|"fleet"|"handle",
    /// "table": path or null, "slots", "buckets_in_use", "unshared_verifications", "problem"}.
    public func rateLimitInfo() -> String {
        let state = limiter.tableState(now: clock.windowNowNS)
        return JSON.object([
            ("policy", .string(limiter.policy.rawValue)),
            ("table", .optional(state?.path)),
            ("slots", .int(Int64(state?.slots ?? 0))),
            ("buckets_in_use", .int(Int64(state?.inUse ?? 0))),
            ("unshared_verifications", .int(limiter.unshared.count)),
            ("problem", .optional(limiter.policy == .host ? limiter.hostTableProblem : nil)),
        ]).encoded()
    }
}
