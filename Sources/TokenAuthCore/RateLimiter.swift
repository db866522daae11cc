/// Token buckets, one per token, kept in this store handle's memory: capacity `limit`, refilled
/// continuously at `limit` per `windowMS`, starting full. Times come from `StoreClock.windowNowMS`.
/// A clock that moves back refills nothing and locks nothing out: the bucket keeps its level and
/// refills from the new reading on.
/// Keyed by digest and sharded, so that threads verifying different tokens do not meet; kept apart
/// from the verification index, so that dropping cached tokens never refills a bucket.
final class RateLimiter: Sendable {
    private struct Bucket {
        var level: Double
        var updatedAt: Int64
    }

    /// The bucket after a verification.
    struct Reading {
        var allowed: Bool
        var remaining: UInt32
        var resetMS: Int64
        var retryAfterMS: Int64
    }

    private static let shardCount = 16
    private let shards = ShardedLocked<[Digest: Bucket]>(count: RateLimiter.shardCount) { [:] }

    /// Refills the token's bucket to `now`, then takes one unit if `spend` (only a verification that
    /// passed every other check spends).
    func take(_ digest: Digest, _ limit: RateLimit, now: Int64, spend: Bool) -> Reading {
        let capacity = Double(limit.limit)
        let perMS = capacity / Double(max(limit.windowMS, 1))
        return shards.withShard(Int(truncatingIfNeeded: digest.w2 % UInt64(Self.shardCount))) { table in
            var bucket = table[digest] ?? Bucket(level: capacity, updatedAt: now)
            if now > bucket.updatedAt {
                bucket.level = min(capacity, bucket.level + (Double(now) - Double(bucket.updatedAt)) * perMS)
            }
            bucket.updatedAt = now
            var allowed = true
            var retryAfter: Int64 = 0
            if spend {
                if bucket.level >= 1 {
                    bucket.level -= 1
                } else {
                    allowed = false
                    retryAfter = max(1, Self.ceilMS((1 - bucket.level) / perMS))
                }
            }
            table[digest] = bucket
            return Reading(allowed: allowed, remaining: UInt32(clamping: Int64(bucket.level.rounded(.down))),
                           resetMS: Self.ceilMS((capacity - bucket.level) / perMS), retryAfterMS: retryAfter)
        }
    }

    private static func ceilMS(_ value: Double) -> Int64 {
        guard value.isFinite, value > 0 else { return 0 }
        return Int64(exactly: value.rounded(.up)) ?? Int64.max
    }
}
