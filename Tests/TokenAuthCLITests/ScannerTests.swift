// The leak scanner's matcher and stream reader, tested in-process.

@testable import TokenAuthCLI
import Foundation
import XCTest

final class ScannerTests: XCTestCase {
    private func findings(in text: String, prefix: String? = nil) throws -> [(line: Int, token: String)] {
        try findings(in: Array(text.utf8), prefix: prefix)
    }

    private func findings(in bytes: [UInt8], prefix: String? = nil) throws -> [(line: Int, token: String)] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scan-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let fd = open(url.path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var found: [(Int, String)] = []
        let scanner = StreamScanner(matcher: TokenMatcher(prefix: prefix))
        _ = try scanner.scan(fd: fd) { found.append(($0.line, String(decoding: $0.secret, as: UTF8.self))) }
        return found
    }

    func testFindsTokensWithValidChecksumsOnly() throws {
        let a = TokenMaker.make(prefix: "tka", kind: "s")
        let b = TokenMaker.make(prefix: "ghx", kind: "p", randomLength: 27)
        let c = TokenMaker.make(prefix: "abcdefgh", kind: "s", randomLength: 64)
        let text = """
            first line
            TOKEN=\(a)
            Authorization: Bearer \(b) and "\(c)"
            bad: \(TokenMaker.corrupt(a))
            short: \(TokenMaker.make(prefix: "tka", randomLength: 26))
            long: \(TokenMaker.make(prefix: "tka", randomLength: 65))
            one-letter prefix: \(TokenMaker.make(prefix: "t"))
            glued:xx\(a)
            """
        let found = try findings(in: text)
        XCTAssertEqual(found.map(\.token), [a, b, c, a])
        XCTAssertEqual(found.map(\.line), [2, 3, 3, 8])
    }

    func testFixedPrefix() throws {
        let mine = TokenMaker.make(prefix: "acme", kind: "p")
        let other = TokenMaker.make(prefix: "tka", kind: "s")
        XCTAssertEqual(try findings(in: "\(other)\n\(mine)\n", prefix: "acme").map(\.token), [mine])
        XCTAssertEqual(try findings(in: "\(other)\n\(mine)\n").map(\.token), [other, mine])
    }

    func testTokensAcrossChunkBoundaries() throws {
        // Place tokens around every multiple of the 1 MiB buffer, with lines counted across chunks.
        var bytes: [UInt8] = []
        var expected: [(Int, String)] = []
        var line = 1
        let filler = Array("lorem_ipsum dolor_sit amet\n".utf8)
        for boundary in [1 << 20, 2 << 20, 3 << 20] {
            for offset in [-60, -5, 0] {
                while bytes.count < boundary + offset - 45 {
                    bytes += filler
                    line += 1
                }
                let token = TokenMaker.make(prefix: "tka", kind: "s")
                bytes += Array(" \(token) ".utf8)
                expected.append((line, token))
                bytes += [0x0A]
                line += 1
            }
        }
        let found = try findings(in: bytes)
        XCTAssertEqual(found.map(\.token), expected.map(\.1))
        XCTAssertEqual(found.map(\.line), expected.map(\.0))
    }

    func testBinaryIsSkipped() throws {
        let token = TokenMaker.make()
        XCTAssertTrue(try findings(in: Array("abc\0def \(token)".utf8)).isEmpty)
        // A NUL after the first 8 KiB does not make a file binary.
        let late = Array(String(repeating: "x", count: 9000).utf8) + [0] + Array(" \(token)".utf8)
        XCTAssertEqual(try findings(in: late).map(\.token), [token])
    }

    func testHintIsPrefixPlusSix() {
        let token = TokenMaker.make(prefix: "tka", kind: "p")
        let finding = Finding(line: 1, secret: Array(token.utf8), prefixLength: 3)
        XCTAssertEqual(finding.hint, String(token.prefix(9)))
        XCTAssertEqual(finding.kindWord, "personal")
    }
}
