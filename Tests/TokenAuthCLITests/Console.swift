// Runs the built `tokenauth` binary, as a person or a script would, on temporary databases.
// The binary is $TOKENAUTH_CLI when set (mk/cli.mk points it at build/bin/tokenauth, the release
// build that `make install` installs), else the debug `tokenauth-cli` next to this test bundle.

import Foundation
import XCTest

struct Run {
    let code: Int32
    let out: String
    let err: String

    /// stdout parsed as JSON (fails the test when it is not JSON).
    func json(file: StaticString = #filePath, line: UInt = #line) -> Any? {
        do {
            return try JSONSerialization.jsonObject(with: Data(out.utf8), options: [.fragmentsAllowed])
        } catch {
            XCTFail("stdout is not JSON: \(out) (stderr: \(err))", file: file, line: line)
            return nil
        }
    }

    func object(file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        (json(file: file, line: line) as? [String: Any]) ?? [:]
    }

    func array(file: StaticString = #filePath, line: UInt = #line) -> [[String: Any]] {
        (json(file: file, line: line) as? [[String: Any]]) ?? []
    }
}

struct MissingBinary: Error, CustomStringConvertible {
    let description: String
}

enum Console {
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TOKENAUTH_CLI"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("tokenauth-cli")
        }
        #endif
        return Bundle.main.bundleURL.appendingPathComponent("tokenauth-cli")
    }

    /// Runs the console with `arguments`; `stdin` is fed on standard input (else /dev/null, so it is
    /// never a terminal and nothing asks for confirmation).
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                    directory: URL? = nil) throws -> Run {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tokenauth-cli-run-\(UUID().uuidString)")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw MissingBinary(description: "no tokenauth binary at \(binary.path): build it (swift build --product tokenauth-cli) or set TOKENAUTH_CLI")
        }
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "TOKENAUTH_DB")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        if let stdin {
            let inURL = scratch.appendingPathComponent("in")
            try Data(stdin.utf8).write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Run(code: process.terminationStatus,
                   out: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                   err: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}

/// A temporary directory with a database path, removed at the end of the test.
final class Workspace {
    let directory: URL
    var db: String { directory.appendingPathComponent("tokens.db").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenauth-cli-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Runs a command on this workspace's database (`--db`, and `--as` when given, are appended).
    func run(_ arguments: [String], stdin: String? = nil, as actor: String? = nil) throws -> Run {
        var args = arguments + ["--db", db]
        if let actor { args += ["--as", actor] }
        return try Console.run(args, stdin: stdin, directory: directory)
    }

    func write(_ relative: String, _ contents: String) throws {
        let url = directory.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
    }

    func write(_ relative: String, bytes: [UInt8]) throws {
        let url = directory.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func path(_ relative: String) -> String { directory.appendingPathComponent(relative).path }
}

/// Asserts an exit code, showing the output when it differs.
func XCTAssertExit(_ run: Run, _ code: Int32, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(run.code, code, "\(message) stdout: \(run.out) stderr: \(run.err)", file: file, line: line)
}

/// Asserts a failure: the exit code, and exactly one line on standard error that contains `contains`.
func XCTAssertFails(_ run: Run, _ code: Int32, _ contains: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertExit(run, code, file: file, line: line)
    let lines = run.err.split(separator: "\n")
    XCTAssertEqual(lines.count, 1, "stderr should be one line: \(run.err)", file: file, line: line)
    XCTAssertTrue(run.err.contains(contains), "stderr \(run.err) should contain \(contains)", file: file, line: line)
}

/// Tokens of the published format with any prefix, for the scanner tests.
enum TokenMaker {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    static func make(prefix: String = "tka", kind: Character = "s", randomLength: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        var token = Array("\(prefix)\(kind)_".utf8)
        for _ in 0..<randomLength { token.append(alphabet[Int(generator.next(upperBound: UInt64(62)))]) }
        var value = UInt64(crc32(token))
        var digits = [UInt8](repeating: alphabet[0], count: 6)
        for index in stride(from: 5, through: 0, by: -1) {
            digits[index] = alphabet[Int(value % 62)]
            value /= 62
        }
        return String(decoding: token + digits, as: UTF8.self)
    }

    /// The same token with its last checksum digit changed.
    static func corrupt(_ token: String) -> String {
        let last = token.last == "A" ? "B" : "A"
        return String(token.dropLast()) + last
    }
}
