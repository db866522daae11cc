import XCTest
@testable import TokenAuthCore

/// `Validate.operation`: the UTF-8 rule wherever a non-ASCII byte stands (the check reads eight
/// bytes at a time, then the rest one by one).
final class OperationNameTests: XCTestCase {
    private func check(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { (try? Validate.operation($0)) != nil }
    }

    func testNonASCIIByteAtEveryPosition() {
        for length in 1...24 {
            let ascii = Array(repeating: UInt8(ascii: "a"), count: length)
            XCTAssertTrue(check(ascii), "\(length) ASCII bytes")
            for position in 0..<length {
                var accented = ascii
                accented.replaceSubrange(position...position, with: Array("é".utf8))
                XCTAssertTrue(check(accented), "é at \(position) of \(length)")
                var broken = ascii
                broken[position] = 0xFF
                XCTAssertFalse(check(broken), "0xFF at \(position) of \(length)")
                broken[position] = 0x80
                XCTAssertFalse(check(broken), "0x80 at \(position) of \(length)")
            }
        }
    }

    func testLengthLimits() {
        XCTAssertFalse(check([]))
        XCTAssertTrue(check(Array(repeating: UInt8(ascii: "o"), count: Validate.maximumOperationBytes)))
        XCTAssertFalse(check(Array(repeating: UInt8(ascii: "o"), count: Validate.maximumOperationBytes + 1)))
    }
}
