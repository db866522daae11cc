// Helpers for the ABI test suite. Every test drives the library only through the C header
// (`import CTokenAuth`, the `ta_*` functions); JSON outputs are parsed with Foundation here, in the
// tests, never in the library. Nothing in this file force-unwraps a value the library produced, so
// one library bug fails one test instead of killing the runner.

import CTokenAuth
import Foundation
import XCTest

// MARK: - Time

/// 2024-03-10T12:00:00Z (a Sunday, noon UTC): the fixed "now" of every store the tests open.
let T0: Int64 = 1_710_072_000_000
let SECOND: Int64 = 1_000
let MINUTE: Int64 = 60_000
let HOUR: Int64 = 3_600_000
let DAY: Int64 = 86_400_000

// MARK: - Statuses (names kept here, independent of the library, for failure messages)

func statusName(_ s: ta_status) -> String {
    switch s.rawValue {
    case 0: return "TA_OK"
    case 1: return "TA_MALFORMED"
    case 2: return "TA_UNKNOWN_TOKEN"
    case 3: return "TA_REVOKED"
    case 4: return "TA_EXPIRED"
    case 5: return "TA_INACTIVE"
    case 6: return "TA_OWNER_INACTIVE"
    case 7: return "TA_FORBIDDEN"
    case 8: return "TA_RATE_LIMITED"
    case 20: return "TA_NOT_FOUND"
    case 21: return "TA_PERMISSION_DENIED"
    case 22: return "TA_CONFLICT"
    case 23: return "TA_UNKNOWN_SCOPE"
    case 24: return "TA_INVALID_ARGUMENT"
    case 40: return "TA_STORAGE_ERROR"
    case 41: return "TA_INTERNAL_ERROR"
    default: return "ta_status(\(s.rawValue))"
    }
}

/// The detail of the last failed call on this thread ("<NULL>" if the library returned NULL).
func lastError() -> String {
    guard let p = ta_last_error() else { return "<NULL>" }
    return String(cString: p)
}

/// Asserts a status. Reads ta_last_error() for the message, so call it right after the call.
func assertStatus(_ got: ta_status, _ want: ta_status, _ message: @autoclosure () -> String = "",
                  file: StaticString = #filePath, line: UInt = #line) {
    if got != want {
        XCTFail("got \(statusName(got)), want \(statusName(want)). \(message()) [last_error: \(lastError())]",
                file: file, line: line)
    }
}

/// Asserts a failure status and that ta_last_error() explains it.
func assertFails(_ got: ta_status, _ want: ta_status, _ message: @autoclosure () -> String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    let err = lastError()
    assertStatus(got, want, message(), file: file, line: line)
    if got != TA_OK {
        XCTAssertFalse(err.isEmpty, "ta_last_error() is empty after \(statusName(got)). \(message())",
                       file: file, line: line)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

// MARK: - C strings

/// An argument for a `const char *` parameter: NULL, a Swift string, or raw bytes (a NUL is appended),
/// e.g. invalid UTF-8.
enum CArg: ExpressibleByStringLiteral, ExpressibleByNilLiteral {
    case null
    case str(String)
    case bytes([UInt8])

    init(stringLiteral value: String) { self = .str(value) }
    init(nilLiteral: ()) { self = .null }
    init(_ s: String?) { self = s.map { .str($0) } ?? .null }
}

/// Invalid UTF-8 (a lone continuation byte and an overlong encoding) embedded in ASCII.
let invalidUTF8: [UInt8] = [0x61, 0x62, 0x80, 0xC0, 0xAF, 0x63]
/// A 1 MiB string.
let oneMiB = String(repeating: "a", count: 1 << 20)

/// Calls `body` with malloc'ed NUL-terminated copies of `args` (NULL for `.null`), freed afterwards.
func withCArgs<R>(_ args: [CArg], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = []
    defer { for p in owned { free(p) } }
    for a in args {
        switch a {
        case .null:
            owned.append(nil)
        case .str(let s):
            owned.append(strdup(s))
        case .bytes(let b):
            let raw = malloc(b.count + 1)
            let p = raw?.bindMemory(to: CChar.self, capacity: b.count + 1)
            if let p {
                for (i, x) in b.enumerated() { p[i] = CChar(bitPattern: x) }
                p[b.count] = 0
            }
            owned.append(p)
        }
    }
    return try body(owned.map { $0.map { UnsafePointer($0) } })
}

/// Converts a C `char[N]` field (imported as a tuple) to a String, stopping at the first NUL and
/// never reading past the field.
func cTupleString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}

/// A non-NULL pointer value that the library must overwrite (with a string on success, NULL on
/// failure). Never dereferenced or freed.
func outSentinel() -> UnsafeMutablePointer<CChar>? { UnsafeMutablePointer<CChar>(bitPattern: 0x10) }

/// Takes ownership of a `char **out` result: on TA_OK it must be a fresh string (copied, then
/// ta_free'd); on failure it must be NULL.
func takeOut(_ status: ta_status, _ out: UnsafeMutablePointer<CChar>?, _ what: String,
             file: StaticString = #filePath, line: UInt = #line) -> String? {
    if status == TA_OK {
        guard let p = out else {
            XCTFail("\(what): TA_OK but the out string is NULL", file: file, line: line)
            return nil
        }
        if p == outSentinel() {
            XCTFail("\(what): TA_OK but the out string was not written", file: file, line: line)
            return nil
        }
        let s = String(cString: p)
        ta_free(p)
        return s
    }
    if let p = out {
        XCTFail("\(what): \(statusName(status)) but the out string is not NULL", file: file, line: line)
        if p != outSentinel() { ta_free(p) }
    }
    return nil
}

/// Calls a function with one `char **out`, checks the out-pointer rules, returns status and text.
func callOut(_ what: String = "call", file: StaticString = #filePath, line: UInt = #line,
             _ f: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> ta_status) -> (status: ta_status, text: String?) {
    var out: UnsafeMutablePointer<CChar>? = outSentinel()
    let st = f(&out)
    let err = lastError()
    let text = takeOut(st, out, what, file: file, line: line)
    if st != TA_OK {
        XCTAssertFalse(err.isEmpty, "\(what): ta_last_error() empty after \(statusName(st))", file: file, line: line)
    }
    return (st, text)
}

/// Calls, asserts TA_OK, parses the JSON and frees the string.
func json(_ what: String = "call", file: StaticString = #filePath, line: UInt = #line,
          _ f: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> ta_status) throws -> Any {
    let (st, text) = callOut(what, file: file, line: line, f)
    assertStatus(st, TA_OK, what, file: file, line: line)
    guard st == TA_OK else { throw TestFailure("\(what) returned \(statusName(st))") }
    let t = try XCTUnwrap(text, "\(what): no JSON", file: file, line: line)
    do {
        return try JSONSerialization.jsonObject(with: Data(t.utf8), options: [.fragmentsAllowed])
    } catch {
        XCTFail("\(what): not JSON: \(t.prefix(300))", file: file, line: line)
        throw error
    }
}

func parseJSON(_ text: String?) -> Any? {
    guard let t = text else { return nil }
    return try? JSONSerialization.jsonObject(with: Data(t.utf8), options: [.fragmentsAllowed])
}

// MARK: - JSON values

func int64(_ v: Any?) -> Int64? {
    switch v {
    case let n as Int: return Int64(n)
    case let n as Int64: return n
    case let n as NSNumber: return n.int64Value
    case let d as Double: return Int64(exactly: d)
    default: return nil
    }
}

func bool(_ v: Any?) -> Bool? {
    switch v {
    case let b as Bool: return b
    case let n as NSNumber: return n.boolValue
    default: return nil
    }
}

/// True when the key is present and its value is JSON null.
func isNull(_ dict: [String: Any], _ key: String) -> Bool {
    guard let v = dict[key] else { return false }
    return v is NSNull
}

func strings(_ v: Any?) -> [String]? { v as? [String] }

func ids(_ tokens: [[String: Any]]) -> [String] { tokens.compactMap { $0["id"] as? String } }

func sortedBytewise(_ a: [String]) -> [String] {
    a.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
}

// MARK: - Token format

let base62Alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

/// CRC-32/ISO-HDLC (zlib's crc32), written independently of the library.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
    }
    return ~c
}

/// 6 base62 digits of the CRC-32 of `s`, most significant first, left-padded with '0'.
func base62Checksum(_ s: String) -> String {
    var v = UInt64(crc32(Array(s.utf8)))
    var out = [UInt8](repeating: 0x30, count: 6)
    for i in stride(from: 5, through: 0, by: -1) {
        out[i] = base62Alphabet[Int(v % 62)]
        v /= 62
    }
    return String(decoding: out, as: UTF8.self)
}

func randomBase62(_ n: Int) -> String {
    String(decoding: (0..<n).map { _ in base62Alphabet[Int.random(in: 0..<62)] }, as: UTF8.self)
}

/// A well-formed token (valid checksum) that no store ever issued.
func fabricateToken(prefix: String = "tka", kind: String = "p", body: String? = nil) -> String {
    let head = prefix + kind + "_" + (body ?? randomBase62(32))
    return head + base62Checksum(head)
}

func isBase62(_ s: Substring) -> Bool { s.utf8.allSatisfy { base62Alphabet.contains($0) } }

/// Windows of `len` characters of the part of a secret after its public hint.
func secretFragments(_ token: String, hintLength: Int, len: Int = 12) -> [String] {
    let tail = Array(token.dropFirst(hintLength))
    guard tail.count >= len else { return [String(tail)] }
    return (0...(tail.count - len)).map { String(tail[$0..<($0 + len)]) }
}

// MARK: - Verdicts

extension ta_verdict {
    var tokenID: String { cTupleString(token_id) }
    var subjectID: String { cTupleString(subject) }
    var missingScope: String { cTupleString(missing_scope) }
}

/// Fills a verdict with garbage so that "zeroed first, every field set" is observable.
func garbageVerdict() -> ta_verdict {
    var v = ta_verdict()
    withUnsafeMutableBytes(of: &v) { raw in
        for i in raw.indices { raw[i] = 0x5A }
    }
    return v
}

/// ta_verify with a verdict; checks return value == verdict.status and http == ta_status_http.
@discardableResult
func verify(_ store: OpaquePointer?, _ credential: String?, _ scopes: String? = nil,
            file: StaticString = #filePath, line: UInt = #line) -> ta_verdict {
    var v = garbageVerdict()
    let st = ta_verify(store, credential, scopes, &v)
    checkVerdict(st, v, file: file, line: line)
    return v
}

/// ta_verify_n on raw bytes (not NUL-terminated unless the bytes say so).
@discardableResult
func verifyN(_ store: OpaquePointer?, _ bytes: [UInt8], _ scopes: String? = nil,
             file: StaticString = #filePath, line: UInt = #line) -> ta_verdict {
    // An exact-size heap buffer with no NUL after it, so that reading past the length is a bug
    // (visible under ASan) and cannot accidentally find a terminator.
    let buf = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
    defer { buf.deallocate() }
    for (i, b) in bytes.enumerated() { buf[i] = CChar(bitPattern: b) }
    var v = garbageVerdict()
    let st = ta_verify_n(store, buf, bytes.count, scopes, &v)
    checkVerdict(st, v, file: file, line: line)
    return v
}

/// ta_verify_resource with a verdict.
@discardableResult
func verifyOn(_ store: OpaquePointer?, _ credential: String, _ scopes: String?, resource: String?,
              file: StaticString = #filePath, line: UInt = #line) -> ta_verdict {
    var v = garbageVerdict()
    let st = ta_verify_resource(store, credential, scopes, resource, &v)
    checkVerdict(st, v, file: file, line: line)
    return v
}

func checkVerdict(_ st: ta_status, _ v: ta_verdict, file: StaticString, line: UInt) {
    XCTAssertEqual(st.rawValue, v.status.rawValue, "return value differs from verdict.status", file: file, line: line)
    XCTAssertEqual(v.http_status, ta_status_http(st), "verdict.http_status != ta_status_http(status)", file: file, line: line)
    if st != TA_RATE_LIMITED {
        XCTAssertEqual(v.retry_after_ms, 0, "retry_after_ms must be 0 unless TA_RATE_LIMITED", file: file, line: line)
    }
    if st != TA_FORBIDDEN {
        XCTAssertEqual(v.missingScope, "", "missing_scope must be empty unless TA_FORBIDDEN", file: file, line: line)
    }
}

func assertVerdict(_ v: ta_verdict, _ want: ta_status, _ message: @autoclosure () -> String = "",
                   file: StaticString = #filePath, line: UInt = #line) {
    if v.status != want {
        XCTFail("verdict \(statusName(v.status)), want \(statusName(want)). \(message()) [last_error: \(lastError())]",
                file: file, line: line)
    }
}

// MARK: - Standard members

enum Members {
    static let admin = "admin1"          // admin: every scope and IAM action
    static let alice = "alice"           // personal-token user
    static let bob = "bob"               // another personal-token user
    static let svc = "svcmgr"            // manages service tokens
    static let auditor = "auditor"       // sees every token, manages nothing
    static let carol = "carol"           // no IAM action at all

    static let table: [(String, String)] = [
        (admin, "admin"),
        (alice, "tickets:write assets:read ManagePersonalAccessTokens"),
        (bob, "tickets:read users:read ManagePersonalAccessTokens"),
        (svc, "tickets:write assets:write ManageServiceAccessTokens"),
        (auditor, "ListAccessTokens tickets:read"),
        (carol, "tickets:read"),
    ]
}

struct NewToken {
    let secret: String
    let id: String
}

// MARK: - Base class

class ABITestCase: XCTestCase {
    private var openStores: [OpaquePointer] = []
    private var tempPaths: [String] = []
    private var tempSchemas: [String] = []

    /// With TOKENAUTH_TEST_DATABASE_URL set (a postgresql:// URI, `make test-postgres`), the suite
    /// runs against PostgreSQL: every tempPath() is a fresh schema of that database, dropped in
    /// tearDown. Unset, every store is a SQLite file, as always.
    static let postgresURL: String? = {
        guard let url = ProcessInfo.processInfo.environment["TOKENAUTH_TEST_DATABASE_URL"], !url.isEmpty else { return nil }
        return url
    }()

    /// Tests about SQLite files (they write a file at tempPath() first): skipped on PostgreSQL.
    static let sqliteFileTests = [
        "testGarbageFileIsStorageError", "testTextFileIsStorageError", "testForeignSQLiteDatabaseIsConflict",
        "testEmptyFileBecomesAStore", "testEveryStatusIsReachable",
    ]

    override func setUpWithError() throws {
        try super.setUpWithError()
        if Self.postgresURL != nil, Self.sqliteFileTests.contains(where: { name.contains($0) }) {
            throw XCTSkip("writes a SQLite file at tempPath(); not applicable to PostgreSQL")
        }
    }

    override func tearDown() {
        for s in openStores.reversed() { ta_close(s) }
        openStores.removeAll()
        if let url = Self.postgresURL, !tempSchemas.isEmpty {
            Self.psql(url, "DROP SCHEMA " + tempSchemas.joined(separator: ", ") + " CASCADE")
            tempSchemas.removeAll()
        }
        for p in tempPaths {
            for suffix in ["", "-wal", "-shm", "-journal", "-ratelimit"] {
                try? FileManager.default.removeItem(atPath: p + suffix)
            }
        }
        tempPaths.removeAll()
        super.tearDown()
    }

    /// A unique path under the temporary directory, removed (with -wal/-shm) in tearDown; on
    /// PostgreSQL, the URI of a fresh schema (search_path set through libpq's `options`).
    func tempPath() -> String {
        if let url = Self.postgresURL {
            let schema = "ta_" + UUID().uuidString.lowercased().filter { $0 != "-" }
            Self.psql(url, "CREATE SCHEMA \(schema)")
            tempSchemas.append(schema)
            return url + (url.contains("?") ? "&" : "?") + "options=-csearch_path%3D" + schema
        }
        let p = FileManager.default.temporaryDirectory
            .appendingPathComponent("tokenauth-abitest-\(UUID().uuidString).db").path
        tempPaths.append(p)
        return p
    }

    /// Runs one SQL command with psql (the test target does not link libpq itself).
    static func psql(_ url: String, _ sql: String, file: StaticString = #filePath, line: UInt = #line) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", "SET client_min_messages = warning; " + sql]
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus != 0 { XCTFail("psql -c \"\(sql)\" failed", file: file, line: line) }
        } catch {
            XCTFail("cannot run psql: \(error)", file: file, line: line)
        }
    }

    /// ta_open with a config (or NULL config); checks that *out_store is NULL on failure.
    func openRaw(_ path: CArg, prefix: CArg = nil, rateLimit: UInt32 = 0, rateWindow: UInt32 = 0,
                 flushMs: UInt32 = 0, busyMs: UInt32 = 0, nullConfig: Bool = false,
                 file: StaticString = #filePath, line: UInt = #line) -> (status: ta_status, store: OpaquePointer?) {
        withCArgs([path, prefix]) { p in
            var cfg = ta_config(token_prefix: p[1], default_rate_limit: rateLimit,
                                default_rate_window_ms: rateWindow, usage_flush_ms: flushMs,
                                busy_timeout_ms: busyMs)
            var out: OpaquePointer? = OpaquePointer(bitPattern: 0x10)
            let st = nullConfig ? ta_open(p[0], nil, &out) : ta_open(p[0], &cfg, &out)
            if st == TA_OK {
                guard let s = out, s != OpaquePointer(bitPattern: 0x10) else {
                    XCTFail("ta_open: TA_OK without a store", file: file, line: line)
                    return (st, nil)
                }
                openStores.append(s)
                return (st, s)
            }
            XCTAssertNil(out, "ta_open: \(statusName(st)) but *out_store is not NULL", file: file, line: line)
            XCTAssertFalse(lastError().isEmpty, "ta_open: empty ta_last_error after \(statusName(st))", file: file, line: line)
            return (st, nil)
        }
    }

    /// Opens a store (a fresh temp file unless `path` is given) and sets its clock to `clock`.
    func openStore(path: String? = nil, prefix: String? = nil, rateLimit: UInt32 = 0, rateWindow: UInt32 = 0,
                   flushMs: UInt32 = 0, clock: Int64? = T0,
                   file: StaticString = #filePath, line: UInt = #line) throws -> OpaquePointer {
        let p = path ?? tempPath()
        let (st, store) = openRaw(.str(p), prefix: CArg(prefix), rateLimit: rateLimit, rateWindow: rateWindow,
                                  flushMs: flushMs, file: file, line: line)
        assertStatus(st, TA_OK, "ta_open(\(p))", file: file, line: line)
        let s = try XCTUnwrap(store, "ta_open(\(p)) gave no store", file: file, line: line)
        if let c = clock { ta_set_clock(s, c) }
        return s
    }

    /// Closes a store opened by this test (so tearDown does not close it again).
    func closeStore(_ s: OpaquePointer) {
        if let i = openStores.firstIndex(of: s) { openStores.remove(at: i) }
        ta_close(s)
    }

    /// A store with the standard members (see `Members`).
    func seededStore(path: String? = nil, prefix: String? = nil, rateLimit: UInt32 = 0, rateWindow: UInt32 = 0,
                     file: StaticString = #filePath, line: UInt = #line) throws -> OpaquePointer {
        let s = try openStore(path: path, prefix: prefix, rateLimit: rateLimit, rateWindow: rateWindow,
                              file: file, line: line)
        for (id, perms) in Members.table { putMember(s, id, perms, file: file, line: line) }
        return s
    }

    // MARK: members

    func putMember(_ s: OpaquePointer?, _ id: String, _ perms: String,
                   file: StaticString = #filePath, line: UInt = #line) {
        assertStatus(ta_member_put(s, id, perms), TA_OK, "ta_member_put(\(id), \(perms))", file: file, line: line)
    }

    func setMemberActive(_ s: OpaquePointer?, _ id: String, _ active: Bool,
                         file: StaticString = #filePath, line: UInt = #line) {
        assertStatus(ta_member_set_active(s, id, active), TA_OK, "ta_member_set_active(\(id), \(active))",
                     file: file, line: line)
    }

    func removeMember(_ s: OpaquePointer?, _ id: String, file: StaticString = #filePath, line: UInt = #line) {
        assertStatus(ta_member_remove(s, id), TA_OK, "ta_member_remove(\(id))", file: file, line: line)
    }

    // MARK: tokens

    /// ta_token_create with every argument controllable; checks the out-pointer rules.
    func createRaw(_ s: OpaquePointer?, actor: CArg, name: CArg = "token", kind: ta_token_kind = TA_KIND_PERSONAL,
                   scopes: CArg, expires: Int64 = 0, rate: UInt32 = 0, window: UInt32 = 0,
                   nullSpec: Bool = false, wantSecret: Bool = true, wantID: Bool = true,
                   file: StaticString = #filePath, line: UInt = #line) -> (status: ta_status, secret: String?, id: String?) {
        withCArgs([actor, name, scopes]) { p in
            var spec = ta_token_spec(name: p[1], kind: kind, scopes: p[2], expires_at_ms: expires,
                                     rate_limit: rate, rate_window_ms: window)
            var tok: UnsafeMutablePointer<CChar>? = outSentinel()
            var tid: UnsafeMutablePointer<CChar>? = outSentinel()
            let st: ta_status = withUnsafeMutablePointer(to: &tok) { tp in
                withUnsafeMutablePointer(to: &tid) { ip in
                    withUnsafePointer(to: &spec) { sp in
                        ta_token_create(s, p[0], nullSpec ? nil : sp, wantSecret ? tp : nil, wantID ? ip : nil)
                    }
                }
            }
            let err = lastError()
            let secret = wantSecret ? takeOut(st, tok, "ta_token_create secret", file: file, line: line) : nil
            let id = wantID ? takeOut(st, tid, "ta_token_create id", file: file, line: line) : nil
            if st != TA_OK {
                XCTAssertFalse(err.isEmpty, "ta_token_create: empty ta_last_error after \(statusName(st))",
                               file: file, line: line)
            }
            return (st, secret, id)
        }
    }

    /// Creates a token and asserts success.
    func create(_ s: OpaquePointer?, actor: String?, name: String = "token", kind: ta_token_kind = TA_KIND_PERSONAL,
                scopes: String, expires: Int64 = 0, rate: UInt32 = 0, window: UInt32 = 0,
                file: StaticString = #filePath, line: UInt = #line) throws -> NewToken {
        let r = createRaw(s, actor: CArg(actor), name: .str(name), kind: kind, scopes: .str(scopes),
                          expires: expires, rate: rate, window: window, file: file, line: line)
        assertStatus(r.status, TA_OK, "ta_token_create(actor: \(actor ?? "NULL"), scopes: \(scopes))", file: file, line: line)
        let secret = try XCTUnwrap(r.secret, "no secret", file: file, line: line)
        let id = try XCTUnwrap(r.id, "no token id", file: file, line: line)
        return NewToken(secret: secret, id: id)
    }

    func service(_ s: OpaquePointer?, actor: String? = Members.svc, name: String = "service", scopes: String,
                 expires: Int64 = 0, rate: UInt32 = 0, window: UInt32 = 0,
                 file: StaticString = #filePath, line: UInt = #line) throws -> NewToken {
        try create(s, actor: actor, name: name, kind: TA_KIND_SERVICE, scopes: scopes, expires: expires,
                   rate: rate, window: window, file: file, line: line)
    }

    /// ta_token_rotate; checks the out-pointer rules.
    func rotateRaw(_ s: OpaquePointer?, actor: CArg, _ id: CArg, grace: Int64 = 0,
                   file: StaticString = #filePath, line: UInt = #line) -> (status: ta_status, secret: String?, id: String?) {
        withCArgs([actor, id]) { p in
            var tok: UnsafeMutablePointer<CChar>? = outSentinel()
            var tid: UnsafeMutablePointer<CChar>? = outSentinel()
            let st = ta_token_rotate(s, p[0], p[1], grace, &tok, &tid)
            let err = lastError()
            let secret = takeOut(st, tok, "ta_token_rotate secret", file: file, line: line)
            let nid = takeOut(st, tid, "ta_token_rotate id", file: file, line: line)
            if st != TA_OK {
                XCTAssertFalse(err.isEmpty, "ta_token_rotate: empty ta_last_error after \(statusName(st))",
                               file: file, line: line)
            }
            return (st, secret, nid)
        }
    }

    func rotate(_ s: OpaquePointer?, actor: String?, _ id: String, grace: Int64 = 0,
                file: StaticString = #filePath, line: UInt = #line) throws -> NewToken {
        let r = rotateRaw(s, actor: CArg(actor), .str(id), grace: grace, file: file, line: line)
        assertStatus(r.status, TA_OK, "ta_token_rotate(\(id))", file: file, line: line)
        return NewToken(secret: try XCTUnwrap(r.secret, file: file, line: line),
                        id: try XCTUnwrap(r.id, file: file, line: line))
    }

    // MARK: JSON reads

    func tokenList(_ s: OpaquePointer?, actor: String? = nil, _ query: String? = nil,
                   file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let v = try json("ta_token_list(\(actor ?? "NULL"), \(query ?? "NULL"))", file: file, line: line) {
            ta_token_list(s, actor, query, $0)
        }
        return try XCTUnwrap(v as? [[String: Any]], "ta_token_list: not an array of objects", file: file, line: line)
    }

    func tokenGet(_ s: OpaquePointer?, actor: String? = nil, _ id: String,
                  file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let v = try json("ta_token_get(\(actor ?? "NULL"), \(id))", file: file, line: line) {
            ta_token_get(s, actor, id, $0)
        }
        return try XCTUnwrap(v as? [String: Any], "ta_token_get: not an object", file: file, line: line)
    }

    func rateLimitInfo(_ s: OpaquePointer?, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let v = try json("ta_rate_limit_info", file: file, line: line) { ta_rate_limit_info(s, $0) }
        return try XCTUnwrap(v as? [String: Any], "ta_rate_limit_info: not an object", file: file, line: line)
    }

    func stats(_ s: OpaquePointer?, actor: String? = nil, _ id: String, since: Int64 = 0,
               file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let v = try json("ta_token_stats(\(id))", file: file, line: line) {
            ta_token_stats(s, actor, id, since, $0)
        }
        return try XCTUnwrap(v as? [String: Any], "ta_token_stats: not an object", file: file, line: line)
    }

    func auditLog(_ s: OpaquePointer?, actor: String? = nil, _ query: String? = nil,
                  file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let v = try json("ta_audit(\(query ?? "NULL"))", file: file, line: line) {
            ta_audit(s, actor, query, $0)
        }
        return try XCTUnwrap(v as? [[String: Any]], "ta_audit: not an array of objects", file: file, line: line)
    }

    func report(_ s: OpaquePointer?, actor: String? = nil, since: Int64 = 0,
                file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let v = try json("ta_report", file: file, line: line) { ta_report(s, actor, since, $0) }
        return try XCTUnwrap(v as? [String: Any], "ta_report: not an object", file: file, line: line)
    }

    func scopeList(_ s: OpaquePointer?, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let v = try json("ta_scope_list", file: file, line: line) { ta_scope_list(s, $0) }
        return try XCTUnwrap(v as? [[String: Any]], "ta_scope_list: not an array of objects", file: file, line: line)
    }

    func memberList(_ s: OpaquePointer?, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let v = try json("ta_member_list", file: file, line: line) { ta_member_list(s, $0) }
        return try XCTUnwrap(v as? [[String: Any]], "ta_member_list: not an array of objects", file: file, line: line)
    }

    /// Everything the store would show the host: audit log, tokens, members, catalog (raw JSON).
    func snapshot(_ s: OpaquePointer?, file: StaticString = #filePath, line: UInt = #line) -> String {
        let a = callOut("ta_audit", file: file, line: line) { ta_audit(s, nil, nil, $0) }.text ?? "<audit failed>"
        let t = callOut("ta_token_list", file: file, line: line) { ta_token_list(s, nil, nil, $0) }.text ?? "<list failed>"
        let m = callOut("ta_member_list", file: file, line: line) { ta_member_list(s, $0) }.text ?? "<members failed>"
        let c = callOut("ta_scope_list", file: file, line: line) { ta_scope_list(s, $0) }.text ?? "<scopes failed>"
        return [a, t, m, c].joined(separator: "\n")
    }

    /// Every JSON the library can produce about the store, as raw text (for secret scans).
    func allOutputs(_ s: OpaquePointer?, tokenIDs: [String], file: StaticString = #filePath, line: UInt = #line) -> [String] {
        var out: [String] = []
        out.append(callOut(file: file, line: line) { ta_audit(s, nil, nil, $0) }.text ?? "")
        out.append(callOut(file: file, line: line) { ta_token_list(s, nil, nil, $0) }.text ?? "")
        out.append(callOut(file: file, line: line) { ta_report(s, nil, 0, $0) }.text ?? "")
        out.append(callOut(file: file, line: line) { ta_member_list(s, $0) }.text ?? "")
        out.append(callOut(file: file, line: line) { ta_scope_list(s, $0) }.text ?? "")
        for id in tokenIDs {
            out.append(callOut(file: file, line: line) { ta_token_get(s, nil, id, $0) }.text ?? "")
            out.append(callOut(file: file, line: line) { ta_token_stats(s, nil, id, 0, $0) }.text ?? "")
        }
        return out
    }

    /// Audit entries (read as the host) matching `query`.
    func events(_ s: OpaquePointer?, _ query: String? = nil, file: StaticString = #filePath, line: UInt = #line) -> [[String: Any]] {
        (try? auditLog(s, actor: nil, query, file: file, line: line)) ?? []
    }
}

func detail(_ entry: [String: Any]) -> [String: Any] { entry["detail"] as? [String: Any] ?? [:] }

/// A small lock-protected box for passing results out of threads in tests.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    func update(_ f: (inout T) -> Void) { lock.lock(); f(&value); lock.unlock() }
}
