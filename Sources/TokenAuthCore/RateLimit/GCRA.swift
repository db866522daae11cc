/// A token bucket as one number: the generic cell rate algorithm. A bucket of capacity `limit`,
/// refilled continuously at `limit` per window and starting full, is exactly its "theoretical
/// arrival time" (TAT): the time at which it will be full again. A take is allowed when the bucket
/// holds a whole unit, i.e. when TAT + one interval is at most one window ahead of now; it then
/// moves TAT one interval on. One 64-bit value per bucket is what lets processes share buckets in
/// shared memory with a single compare-and-swap, and lets an idle bucket (TAT in the past) be
/// forgotten: it is the same as a new one.
///
/// Times are nanoseconds of the rate-limit clock (`StoreClock.windowNowNS`). A TAT more than one
/// window ahead of now means that the clock went back (a pinned clock, a table kept across a
/// reboot): the bucket counts as empty from now on, refilling normally, so a step back neither
/// refills capacity nor locks the token out for longer than one window.
struct GCRA {
    /// The time one unit takes to come back: window / limit.
    let intervalNS: Int64
    /// `limit` intervals: how far ahead of now TAT may run (the bucket's capacity, as time).
    let burstNS: Int64

    init(_ limit: RateLimit) {
        let windowNS = Int64(max(limit.windowMS, 1)) * 1_000_000
        let units = Int64(max(limit.limit, 1))
        intervalNS = max(1, windowNS / units)
        burstNS = intervalNS * units
    }

    /// The bucket whose TAT is `stored` (0: never used) at `now`, after taking one unit if `spend`:
    /// the reading, and the TAT to store (nil when nothing changes: a denial spends nothing). A TAT
    /// found more than a window ahead is stored back as "empty now" even without a take, so that the
    /// bucket refills from this reading on, not from where the clock was before it went back.
    func take(tat stored: Int64, now: Int64, spend: Bool) -> (tat: Int64?, reading: BucketReading) {
        let ceiling = now.addingSaturated(burstNS)
        let rebased: Int64? = stored > ceiling ? ceiling : nil
        let base = max(rebased ?? stored, now)
        guard spend else { return (rebased, reading(tat: base, now: now, allowed: true)) }
        let next = base.addingSaturated(intervalNS)
        guard next.subtractingSaturated(now) <= burstNS else {
            var denied = reading(tat: base, now: now, allowed: false)
            denied.retryAfterMS = max(1, Self.ceilMS(next.subtractingSaturated(now).subtractingSaturated(burstNS)))
            return (rebased, denied)
        }
        return (next, reading(tat: next, now: now, allowed: true))
    }

    private func reading(tat: Int64, now: Int64, allowed: Bool) -> BucketReading {
        let ahead = tat.subtractingSaturated(now)
        let remaining = burstNS.subtractingSaturated(ahead) / intervalNS
        return BucketReading(allowed: allowed, remaining: UInt32(clamping: remaining), resetMS: Self.ceilMS(ahead), retryAfterMS: 0)
    }

    static func ceilMS(_ ns: Int64) -> Int64 {
        ns <= 0 ? 0 : ns / 1_000_000 + (ns % 1_000_000 == 0 ? 0 : 1)
    }
}

/// What a verification sees of a token's bucket, in the verdict's terms.
struct BucketReading {
    var allowed: Bool
    var remaining: UInt32
    var resetMS: Int64
    var retryAfterMS: Int64
}
