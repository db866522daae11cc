// The console's value parsers and text formats, tested in-process.

@testable import TokenAuthCLI
import XCTest

final class ParsingTests: XCTestCase {
    func testDurations() throws {
        XCTAssertEqual(try Parse.duration("90s"), 90_000)
        XCTAssertEqual(try Parse.duration("10m"), 600_000)
        XCTAssertEqual(try Parse.duration("12h"), 43_200_000)
        XCTAssertEqual(try Parse.duration("30d"), 30 * 86_400_000)
        XCTAssertEqual(try Parse.duration("2w"), 14 * 86_400_000)
        XCTAssertEqual(try Parse.duration("1h30m"), 5_400_000)
        XCTAssertEqual(try Parse.duration("0"), 0)
        for bad in ["", "5", "5x", "d", "-5m", "1.5h", "m10", "99999999999999d", "10 m"] {
            XCTAssertThrowsError(try Parse.duration(bad), bad) { error in
                XCTAssertEqual((error as? CLIFailure)?.code, Exit.usage)
            }
        }
    }

    func testDates() {
        XCTAssertEqual(Parse.date("1970-01-01"), 0)
        XCTAssertEqual(Parse.date("2027-01-31"), 1_801_353_600_000)
        XCTAssertEqual(Parse.date("2024-02-29"), 1_709_164_800_000)
        XCTAssertEqual(Parse.date("2024-03-10T12:00:00Z"), 1_710_072_000_000)
        XCTAssertEqual(Parse.date("2024-03-10T12:00Z"), 1_710_072_000_000)
        for bad in ["2023-02-29", "2024-13-01", "2024-00-10", "2024-1-1", "20240101", "2024-03-10T25:00Z", "2024-03-10T12:00"] {
            XCTAssertNil(Parse.date(bad), bad)
        }
    }

    func testFutureAndPast() throws {
        let now: Int64 = 1_710_072_000_000
        XCTAssertEqual(try Parse.future("30d", now: now, what: "expiry"), now + 30 * 86_400_000)
        XCTAssertEqual(try Parse.future("2027-01-31", now: now, what: "expiry"), 1_801_353_600_000)
        XCTAssertEqual(try Parse.past("7d", now: now, what: "since"), now - 7 * 86_400_000)
        XCTAssertEqual(try Parse.past("all", now: now, what: "since"), 0)
        XCTAssertThrowsError(try Parse.future("tomorrow", now: now, what: "expiry"))
    }

    func testRateLimits() throws {
        XCTAssertTrue(try Parse.rateLimit("100/min") == (100, 60_000))
        XCTAssertTrue(try Parse.rateLimit("10/s") == (10, 1_000))
        XCTAssertTrue(try Parse.rateLimit("1000/h") == (1000, 3_600_000))
        XCTAssertTrue(try Parse.rateLimit("5000/day") == (5000, 86_400_000))
        XCTAssertTrue(try Parse.rateLimit("50/10s") == (50, 10_000))
        for bad in ["100", "0/min", "-1/min", "100/fortnight", "/min", "100/", "1/60d"] {
            XCTAssertThrowsError(try Parse.rateLimit(bad), bad)
        }
        XCTAssertEqual(Parse.describeRate(limit: 100, windowMS: 60_000), "100/min")
    }

    func testRelativeTimes() {
        let now: Int64 = 1_710_072_000_000
        XCTAssertEqual(Format.relative(nil, now: now), "never")
        XCTAssertEqual(Format.relative(0, now: now), "never")
        XCTAssertEqual(Format.relative(now - 2_000, now: now), "just now")
        XCTAssertEqual(Format.relative(now - 3 * 86_400_000, now: now), "3 days ago")
        XCTAssertEqual(Format.relative(now - 3_600_000, now: now), "1 hour ago")
        XCTAssertEqual(Format.relative(now - 5 * 60_000, now: now), "5 minutes ago")
        XCTAssertEqual(Format.relative(now + 30 * 86_400_000 - 5_000, now: now), "in 30 days")
        XCTAssertEqual(Format.relative(now - 400 * 86_400_000, now: now), "1 year ago")
        XCTAssertEqual(Format.timestamp(now), "2024-03-10 12:00:00Z")
        XCTAssertEqual(Format.date(now), "2024-03-10")
    }

    func testTableAndBars() {
        let table = Format.table(["ID", "NAME", "USES"], [["a", "long name", "5"], ["bbbb", "x", "123"]], rightAligned: [2])
        XCTAssertEqual(table, """
            ID    NAME       USES
            a     long name     5
            bbbb  x           123
            """)
        XCTAssertEqual(Format.bar(10, maximum: 10, columns: 4), "████")
        XCTAssertEqual(Format.bar(5, maximum: 10, columns: 4), "██")
        XCTAssertEqual(Format.bar(1, maximum: 1000, columns: 4), "▏")
        XCTAssertEqual(Format.bar(0, maximum: 10), "")
    }

    func testGlobalOptionsMayComeFirst() {
        XCTAssertEqual(TokenAuthConsole.hoistingGlobalOptions(["--db", "x.db", "--as", "alice", "token", "list", "--kind", "service"]),
                       ["token", "list", "--db", "x.db", "--as", "alice", "--kind", "service"])
        XCTAssertEqual(TokenAuthConsole.hoistingGlobalOptions(["--json", "scan", "-"]), ["scan", "--json", "-"])
        XCTAssertEqual(TokenAuthConsole.hoistingGlobalOptions(["token", "list"]), ["token", "list"])
    }
}
