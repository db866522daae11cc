import XCTest
@testable import TokenAuthCore

/// Unit tests of the pieces the ABI tests cannot see directly.
final class TokenFormatTests: XCTestCase {
    func testCRC32MatchesZlib() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([]), 0)
    }

    /// The sliced CRC (16, then 4, then 1 byte per step) against the definition, one bit at a time,
    /// at every length 0...100 (every mix of the three steps) and from running CRCs other than
    /// the initial one.
    func testSlicedCRC32MatchesTheBitwiseDefinition() {
        func bitwise(_ crc: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc = crc
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return crc
        }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<100).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for count in 0...100 {
            for start: UInt32 in [0xFFFF_FFFF, 0, 0x1234_5678] {
                let sliced = bytes.withUnsafeBufferPointer { buffer in
                    buffer.baseAddress.map { CRC32.update(start, $0, count) } ?? start
                }
                XCTAssertEqual(sliced, bitwise(start, bytes[..<count]), "\(count) bytes from \(start)")
            }
        }
    }

    func testSixDigitBase62RoundTrip() {
        for value: UInt32 in [0, 1, 61, 62, 0xFFFF_FFFF, 0x1234_5678] {
            let digits = Base62.sixDigits(value)
            XCTAssertEqual(digits.count, 6)
            XCTAssertEqual(digits.reduce(UInt64(0)) { $0 * 62 + UInt64(Base62.values[Int($1)]) }, UInt64(value))
        }
        XCTAssertEqual(String(decoding: Base62.sixDigits(61), as: UTF8.self), "00000z")
    }

    func testTokenIDsAreTimeOrderedWithARandomTail() throws {
        let tail = try XCTUnwrap(TokenFormat.randomBase62(count: TokenIDFormat.randomLength))
        let first = TokenIDFormat.make(createdAtMS: 1_700_000_000_000, random: tail[...])
        XCTAssertEqual(first.count, 20)
        XCTAssertTrue(first.hasPrefix("tok_"))
        XCTAssertTrue(first.hasSuffix(String(decoding: tail, as: UTF8.self)))
        let times: [Int64] = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_062, 1_800_000_000_000]
        let ids = times.map { TokenIDFormat.make(createdAtMS: $0, random: tail[...]) }
        XCTAssertEqual(ids, ids.sorted(), "later ids sort later")
        XCTAssertEqual(TokenIDFormat.make(createdAtMS: 61, random: tail[...]).dropFirst(4).prefix(7), "000000z")
        // Any clock value gives a well-formed id, never a trap.
        for time in [Int64.min, -1, 0, Int64.max] {
            XCTAssertEqual(TokenIDFormat.make(createdAtMS: time, random: tail[...]).count, 20)
        }
    }

    func testGeneratedTokensCheckAndTamperedOnesDoNot() throws {
        let format = TokenFormat(prefix: "tka")
        let random = try XCTUnwrap(TokenFormat.randomBase62(count: TokenFormat.randomLength))
        var token = format.secret(kind: .service, random: random[...])
        XCTAssertEqual(token.count, 3 + 2 + TokenFormat.randomLength + 6)
        XCTAssertEqual(token.withUnsafeBytes { format.check($0) }, .service)
        token[10] = token[10] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
        XCTAssertNil(token.withUnsafeBytes { format.check($0) })
    }

    func testUTCDayFormatting() {
        XCTAssertEqual(UTCDay.format(0), "1970-01-01")
        XCTAssertEqual(UTCDay.format(UTCDay.day(of: 1_700_000_000_000)), "2023-11-14")
        XCTAssertEqual(UTCDay.format(UTCDay.day(of: -1)), "1969-12-31")
    }

    func testJSONEscapesControlCharacters() {
        XCTAssertEqual(JSON.object([("a\"", .string("x\n\u{1}y"))]).encoded(), "{\"a\\\"\":\"x\\n\\u0001y\"}")
        XCTAssertEqual(JSON.appending([("count", .int(2))], toEncodedObject: "{}"), "{\"count\":2}")
        XCTAssertEqual(JSON.appending([("count", .int(2))], toEncodedObject: "{\"a\":1}"), "{\"a\":1,\"count\":2}")
    }

    func testCatalogExpansionAndCycles() throws {
        let catalog = ScopeCatalog.standard
        XCTAssertEqual(catalog.expand(["tickets:write"]), ["tickets:write", "tickets:read"])
        XCTAssertEqual(catalog.expand(["admin"]).count, catalog.definitions.count)
        let extended = try catalog.defining("a", implies: ["tickets:read"], description: nil)
        XCTAssertThrowsError(try extended.defining("tickets:read", implies: ["a"], description: nil))
    }
}

/// The eight-bytes-at-a-time alphabet check agrees with the byte table on every byte value.
final class Base62WordTests: XCTestCase {
    func testWordCheckMatchesTheTableForEveryByteInEveryPosition() {
        for byte in 0...255 {
            for position in 0..<8 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                bytes[position] = UInt8(byte)
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                XCTAssertEqual(Base62.areDigits(word), Base62.values[byte] != 0xFF, "byte \(byte) at \(position)")
            }
        }
        let all = Array("09AZaz9Z".utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertTrue(Base62.areDigits(all))
    }
}
