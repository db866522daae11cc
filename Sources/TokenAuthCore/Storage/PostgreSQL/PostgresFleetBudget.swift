/// The fleet's rate-limit buckets in the UNLOGGED table `rate_budget` (no WAL, no fsync per lease;
/// a server crash or a failover empties it, which leaves every bucket full). A lease is one
/// autocommitted statement on a pooled reader connection: it never waits for the writers' lock.
extension PostgresBackend: FleetBudget {
    /// "Now" in µs: the pinned clock (parameter `n`) if any, else the server's.
    private static func nowUS(_ n: Int) -> String { "coalesce($\(n)::bigint, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)" }

    /// One upsert: a new bucket is full (it grants min(want, limit)); an existing one is rebased if
    /// its TAT runs more than a burst ahead (the clock went back), then grants what it holds, up to
    /// `want`. SET expressions read the row as it was, so `granted` and `tat` agree.
    private static let leaseSQL = """
        WITH n AS (SELECT \(nowUS(5)) AS us)
        INSERT INTO rate_budget AS b (key, tat, granted, now_us)
        SELECT $1, n.us + least($2::bigint, $3::bigint / $4::bigint) * $4::bigint, least($2::bigint, $3::bigint / $4::bigint), n.us
        FROM n
        ON CONFLICT (key) DO UPDATE SET
            granted = least($2::bigint, greatest(0, ($3::bigint
                - (greatest(least(b.tat, excluded.now_us + $3::bigint), excluded.now_us) - excluded.now_us)) / $4::bigint)),
            tat = greatest(least(b.tat, excluded.now_us + $3::bigint), excluded.now_us)
                + least($2::bigint, greatest(0, ($3::bigint
                - (greatest(least(b.tat, excluded.now_us + $3::bigint), excluded.now_us) - excluded.now_us)) / $4::bigint)) * $4::bigint,
            now_us = excluded.now_us
        RETURNING b.granted, b.tat - b.now_us
        """

    func lease(key: Int64, want: Int64, intervalUS: Int64, burstUS: Int64, nowUS: Int64?) throws -> (granted: Int64, aheadUS: Int64) {
        try withReader { db in
            let r = try db.query(Self.leaseSQL, [.int(key), .int(want), .int(burstUS), .int(intervalUS), nowUS.map(PGValue.int) ?? .null])
            guard r.count == 1 else { throw TokenAuthError.internal("a rate-limit lease returned no row") }
            return (r.int(0, 0), r.int(0, 1))
        }
    }

    func giveBack(key: Int64, units: Int64, intervalUS: Int64, nowUS: Int64?) throws {
        _ = try withReader { db in
            try db.query("UPDATE rate_budget SET tat = greatest(tat - $2::bigint * $3::bigint, \(Self.nowUS(4))) WHERE key = $1",
                         [.int(key), .int(units), .int(intervalUS), nowUS.map(PGValue.int) ?? .null])
        }
    }

    func openHandles() throws -> Int {
        try withReader { db in
            let r = try db.execute("SELECT count(*) FROM listeners WHERE pid IN (SELECT pid FROM pg_stat_activity)")
            return r.count == 1 ? max(1, Int(r.int(0, 0))) : 1
        }
    }
}
