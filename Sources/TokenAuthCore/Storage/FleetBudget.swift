/// The fleet-wide rate-limit budget of a store that several hosts share (PostgreSQL): one bucket per
/// token in the database, from which each handle leases units to spend locally (`FleetShares`).
/// Buckets are GCRA TATs in microseconds of the database server's clock (one clock for the whole
/// fleet), or of the pinned clock when a test pins it (`nowUS`).
protocol FleetBudget: AnyObject, Sendable {
    /// Takes up to `want` units from the bucket `key` (interval and burst in µs): how many it got,
    /// and how far ahead of now the bucket's TAT then is (µs).
    func lease(key: Int64, want: Int64, intervalUS: Int64, burstUS: Int64, nowUS: Int64?) throws -> (granted: Int64, aheadUS: Int64)
    /// Puts `units` this handle leased and did not spend back into the bucket `key`.
    func giveBack(key: Int64, units: Int64, intervalUS: Int64, nowUS: Int64?) throws
    /// How many handles of the fleet are open now (they share each token's budget).
    func openHandles() throws -> Int
}
