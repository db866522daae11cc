/// How a store handle behaves; zero means "the default" for every number, as in `ta_config`.
public struct StoreConfiguration: Sendable {
    public var tokenPrefix: String?
    public var defaultRateLimit: UInt32 = 0
    public var defaultRateWindowMS: UInt32 = 0
    public var usageFlushMS: UInt32 = 0
    public var busyTimeoutMS: UInt32 = 0
    /// Tokens' counts (or denial entries) per usage-flush transaction (tests make it small).
    var usageRowsPerTransaction = UsageWriter.defaultRowsPerTransaction
    /// Slots of the shared rate-limit table a new file gets (tests make it small to fill it).
    var rateLimitSlots = SharedBuckets.defaultSlotCount

    public init(tokenPrefix: String? = nil, defaultRateLimit: UInt32 = 0, defaultRateWindowMS: UInt32 = 0,
                usageFlushMS: UInt32 = 0, busyTimeoutMS: UInt32 = 0) {
        self.tokenPrefix = tokenPrefix
        self.defaultRateLimit = defaultRateLimit
        self.defaultRateWindowMS = defaultRateWindowMS
        self.usageFlushMS = usageFlushMS
        self.busyTimeoutMS = busyTimeoutMS
    }

    var rateWindowMS: UInt32 { defaultRateWindowMS == 0 ? 60_000 : defaultRateWindowMS }
    var flushIntervalMS: Int64 { Int64(usageFlushMS == 0 ? 1000 : usageFlushMS) }
    var busyTimeout: Int32 { Int32(clamping: busyTimeoutMS == 0 ? 5000 : busyTimeoutMS) }
}
