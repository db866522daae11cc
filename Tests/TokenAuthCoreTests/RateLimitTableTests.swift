import XCTest
@testable import TokenAuthCore
#if canImport(Glibc)
import Glibc
#endif

/// The rate-limit arithmetic (GCRA) and the table the host's processes share.
final class RateLimitTableTests: DatabaseTestCase {
    private let second: Int64 = 1_000_000_000
    private let threePerSecond = GCRA(RateLimit(limit: 3, windowMS: 1000))

    private func digest(_ seed: UInt8) -> Digest {
        Digest([UInt8](repeating: seed, count: 32)) ?? Digest(UnsafeRawBufferPointer(start: nil, count: 0))
    }

    func testABucketStartsFullAndRefillsContinuously() {
        var tat: Int64 = 0
        var remaining: [UInt32] = []
        for _ in 0..<3 {
            let (next, reading) = threePerSecond.take(tat: tat, now: 10 * second, spend: true)
            XCTAssertTrue(reading.allowed)
            tat = next ?? tat
            remaining.append(reading.remaining)
        }
        XCTAssertEqual(remaining, [2, 1, 0])
        let (unchanged, denied) = threePerSecond.take(tat: tat, now: 10 * second, spend: true)
        XCTAssertNil(unchanged, "a denial spends nothing")
        XCTAssertFalse(denied.allowed)
        XCTAssertEqual(denied.retryAfterMS, 334, "one unit comes back after a third of a second")
        XCTAssertEqual(denied.resetMS, 1000)
        let (_, later) = threePerSecond.take(tat: tat, now: 10 * second + second / 3 + 1, spend: true)
        XCTAssertTrue(later.allowed)
    }

    func testAClockThatGoesBackRefillsNothingAndLocksOutForAtMostAWindow() {
        var tat: Int64 = 0
        for _ in 0..<3 { tat = threePerSecond.take(tat: tat, now: 100 * second, spend: true).tat ?? tat }
        let back: Int64 = 100 * second - 3600 * second
        let (rebased, denied) = threePerSecond.take(tat: tat, now: back, spend: true)
        XCTAssertFalse(denied.allowed, "no refill from the step")
        XCTAssertEqual(rebased, back + threePerSecond.burstNS, "stored as empty from the new reading on")
        XCTAssertEqual(denied.retryAfterMS, 334)
        let (_, after) = threePerSecond.take(tat: rebased ?? tat, now: back + second / 3 + 1, spend: true)
        XCTAssertTrue(after.allowed, "refills from the new reading, not an hour later")
    }

    func testExtremeTimesSaturateInsteadOfTrapping() {
        let widest = GCRA(RateLimit(limit: UInt32.max, windowMS: UInt32.max))
        for now in [Int64.min, -1, 0, Int64.max - 1, Int64.max] {
            for stored in [Int64.min, 0, Int64.max] {
                _ = widest.take(tat: stored, now: now, spend: true)
                _ = threePerSecond.take(tat: stored, now: now, spend: false)
            }
        }
    }

    func testTwoMappingsOfOneFileShareABucket() throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let a = try SharedBuckets.file(at: path + "-ratelimit", like: path, slots: 64)
        let b = try SharedBuckets.file(at: path + "-ratelimit", like: path, slots: 64)
        let token = digest(7)
        XCTAssertEqual(a.take(token, threePerSecond, now: second, spend: true)?.remaining, 2)
        XCTAssertEqual(b.take(token, threePerSecond, now: second, spend: true)?.remaining, 1)
        XCTAssertEqual(a.take(token, threePerSecond, now: second, spend: true)?.remaining, 0)
        XCTAssertEqual(b.take(token, threePerSecond, now: second, spend: true)?.allowed, false)
        XCTAssertEqual(a.bucketsInUse(now: second), 1)
        XCTAssertThrowsError(try SharedBuckets.file(at: path + "-ratelimit", like: path, slots: 128),
                             "a table of another size is refused, never reinterpreted")
    }

    func testAFullTableAnswersNilUntilABucketIsFullAgain() throws {
        let table = try SharedBuckets.inMemory(slots: SharedBuckets.probeLimit)
        for seed in 1...UInt8(SharedBuckets.probeLimit) {
            XCTAssertNotNil(table.take(digest(seed), threePerSecond, now: second, spend: true))
        }
        XCTAssertNil(table.take(digest(200), threePerSecond, now: second, spend: true), "every slot holds a bucket short of capacity")
        XCTAssertNotNil(table.take(digest(1), threePerSecond, now: second, spend: true), "the tokens that have a slot keep it")
        let later = 3 * second
        XCTAssertNotNil(table.take(digest(200), threePerSecond, now: later, spend: true), "a full bucket's slot is taken over")
    }

    func testATableItCannotUseIsReportedAndEveryFallbackCounted() throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        _ = FileManager.default.createFile(atPath: path + "-ratelimit", contents: Data(repeating: 1, count: 100))
        let store = try TokenStore.open(path: path)
        let issued = try store.createToken(actor: nil, spec: TokenSpec(name: "limited", kind: .service, scopes: "tickets:read",
                                                                        rateLimit: 1, rateWindowMS: 60_000))
        let statuses = (0..<3).map { _ in issued.secret.withUnsafeBytes { store.verify(credential: $0, requiredScopes: nil).status } }
        XCTAssertEqual(statuses, [.ok, .rateLimited, .rateLimited], "still limited, by this handle's bucket")
        let info = store.rateLimitInfo()
        XCTAssertTrue(info.contains(#""unshared_verifications":3"#), info)
        XCTAssertTrue(info.contains("another layout"), info)
        store.close()
        let reopened = try TokenStore.open(path: path)
        defer { reopened.close() }
        let audit = try reopened.audit(actor: nil, query: "event=rate_limit.unshared")
        XCTAssertTrue(audit.contains(#""count":3"#) && audit.contains("unavailable"), audit)
    }

    func testTokensTheTableCannotHoldFallBackAndAreAudited() throws {
        var configuration = StoreConfiguration()
        configuration.rateLimitSlots = SharedBuckets.probeLimit
        let store = try TokenStore.open(path: path, configuration: configuration)
        let specs = (0..<40).map { TokenSpec(name: "t\($0)", kind: .service, scopes: "tickets:read", rateLimit: 1, rateWindowMS: 600_000) }
        let issued = try store.createTokens(actor: nil, specs: specs)
        for token in issued {
            XCTAssertEqual(token.secret.withUnsafeBytes { store.verify(credential: $0, requiredScopes: nil).status }, .ok)
            XCTAssertEqual(token.secret.withUnsafeBytes { store.verify(credential: $0, requiredScopes: nil).status }, .rateLimited)
        }
        XCTAssertTrue(store.rateLimitInfo().contains(#""buckets_in_use":16"#), store.rateLimitInfo())
        XCTAssertFalse(store.rateLimitInfo().contains(#""unshared_verifications":0"#))
        store.close()
        let reopened = try TokenStore.open(path: path)
        defer { reopened.close() }
        let audit = try reopened.audit(actor: nil, query: "event=rate_limit.unshared")
        XCTAssertTrue(audit.contains("no free slot"), audit)
    }

    func testTheTableTakesTheDatabaseFilesMode() throws {
        FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        let store = try TokenStore.open(path: path)
        store.close()
        let mode = try FileManager.default.attributesOfItem(atPath: path + "-ratelimit")[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
    }
}
