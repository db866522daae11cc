import XCTest
@testable import TokenAuthCore

/// SHA-256 as the index computes it: the stack-context path and the provider (FIPS) path agree with
/// each other and with the standard's test vectors.
final class DigestTests: XCTestCase {
    private func hex(_ digest: Digest?) -> String {
        digest.map { $0.bytes.map { String(format: "%02x", $0) }.joined() } ?? "nil"
    }

    private func sha256(_ text: String, throughProvider: Bool) -> Digest? {
        Array(text.utf8).withUnsafeBytes { Digest.sha256($0, throughProvider: throughProvider) }
    }

    func testBothPathsGiveTheStandardVectors() {
        let vectors = [
            "": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq":
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        ]
        for (input, expected) in vectors {
            XCTAssertEqual(hex(sha256(input, throughProvider: false)), expected, input)
            XCTAssertEqual(hex(sha256(input, throughProvider: true)), expected, input)
        }
    }

    func testBothPathsAgreeOnEveryLengthAcrossBlockBoundaries() throws {
        for length in 0...200 {
            let bytes = try XCTUnwrap(Crypto.randomBytes(length))
            let fast = bytes.withUnsafeBytes { Digest.sha256($0, throughProvider: false) }
            let provided = bytes.withUnsafeBytes { Digest.sha256($0, throughProvider: true) }
            XCTAssertNotNil(fast)
            XCTAssertTrue(fast == provided, "length \(length)")
        }
    }
}
