// The static helpers (ta_status_name, ta_status_http, ta_error_json, ta_last_error, ta_version)
// and that every status the ABI defines (except TA_INTERNAL_ERROR, "a bug") is reachable.

import CTokenAuth
import Foundation
import XCTest

final class StatusTests: ABITestCase {
    /// (status, name, http, reason phrase of the error body or nil for TA_OK)
    private func table() -> [(ta_status, String, Int32, String?)] {
        [
            (TA_OK, "TA_OK", 200, nil),
            (TA_MALFORMED, "TA_MALFORMED", 401, "Unauthorized"),
            (TA_UNKNOWN_TOKEN, "TA_UNKNOWN_TOKEN", 401, "Unauthorized"),
            (TA_REVOKED, "TA_REVOKED", 401, "Unauthorized"),
            (TA_EXPIRED, "TA_EXPIRED", 401, "Unauthorized"),
            (TA_INACTIVE, "TA_INACTIVE", 403, "Forbidden"),
            (TA_OWNER_INACTIVE, "TA_OWNER_INACTIVE", 403, "Forbidden"),
            (TA_FORBIDDEN, "TA_FORBIDDEN", 403, "Forbidden"),
            (TA_RATE_LIMITED, "TA_RATE_LIMITED", 429, "Too Many Requests"),
            (TA_NOT_FOUND, "TA_NOT_FOUND", 404, "Not Found"),
            (TA_PERMISSION_DENIED, "TA_PERMISSION_DENIED", 403, "Forbidden"),
            (TA_CONFLICT, "TA_CONFLICT", 409, "Conflict"),
            (TA_UNKNOWN_SCOPE, "TA_UNKNOWN_SCOPE", 400, "Bad Request"),
            (TA_INVALID_ARGUMENT, "TA_INVALID_ARGUMENT", 400, "Bad Request"),
            (TA_STORAGE_ERROR, "TA_STORAGE_ERROR", 503, "Service Unavailable"),
            (TA_INTERNAL_ERROR, "TA_INTERNAL_ERROR", 500, "Internal Server Error"),
        ]
    }

    func testEnumValuesMatchContract() {
        let raw: [(ta_status, UInt32)] = [
            (TA_OK, 0), (TA_MALFORMED, 1), (TA_UNKNOWN_TOKEN, 2), (TA_REVOKED, 3), (TA_EXPIRED, 4),
            (TA_INACTIVE, 5), (TA_OWNER_INACTIVE, 6), (TA_FORBIDDEN, 7), (TA_RATE_LIMITED, 8),
            (TA_NOT_FOUND, 20), (TA_PERMISSION_DENIED, 21), (TA_CONFLICT, 22), (TA_UNKNOWN_SCOPE, 23),
            (TA_INVALID_ARGUMENT, 24), (TA_STORAGE_ERROR, 40), (TA_INTERNAL_ERROR, 41),
        ]
        for (s, v) in raw { XCTAssertEqual(s.rawValue, v) }
        XCTAssertEqual(TA_KIND_PERSONAL.rawValue, 1)
        XCTAssertEqual(TA_KIND_SERVICE.rawValue, 2)
        XCTAssertEqual(TA_ABI_VERSION, 1)
        XCTAssertEqual(TA_ID_MAX, 64)
        XCTAssertEqual(TA_SCOPE_MAX, 64)
    }

    func testStatusNames() {
        for (s, name, _, _) in table() {
            guard let p = ta_status_name(s) else {
                XCTFail("ta_status_name(\(name)) is NULL")
                continue
            }
            XCTAssertEqual(String(cString: p), name)
            // Static storage: the same pointer each time.
            XCTAssertEqual(ta_status_name(s), p, "ta_status_name(\(name)) is not static")
        }
    }

    func testStatusHTTP() {
        for (s, name, http, _) in table() {
            XCTAssertEqual(ta_status_http(s), http, "ta_status_http(\(name))")
        }
    }

    func testErrorJSON() throws {
        XCTAssertNil(ta_error_json(TA_OK), "ta_error_json(TA_OK) must be NULL")
        for (s, name, _, phrase) in table() {
            guard let phrase else { continue }
            guard let p = ta_error_json(s) else {
                XCTFail("ta_error_json(\(name)) is NULL")
                continue
            }
            let text = String(cString: p)
            XCTAssertEqual(text, "{\"success\":false,\"errors\":[\"\(phrase)\"],\"data\":null}",
                           "ta_error_json(\(name))")
            let obj = try XCTUnwrap(parseJSON(text) as? [String: Any], "ta_error_json(\(name)) is not a JSON object")
            XCTAssertEqual(Set(obj.keys), ["success", "errors", "data"])
            XCTAssertEqual(bool(obj["success"]), false)
            XCTAssertEqual(strings(obj["errors"]), [phrase])
            XCTAssertTrue(isNull(obj, "data"))
            XCTAssertEqual(ta_error_json(s), p, "ta_error_json(\(name)) is not static")
        }
        // The exact body the product document shows for a downgraded personal token.
        if let p = ta_error_json(TA_FORBIDDEN) {
            XCTAssertEqual(String(cString: p), #"{"success":false,"errors":["Forbidden"],"data":null}"#)
        }
    }

    func testUnknownStatusValuesGiveStaticPlaceholders() {
        for raw: UInt32 in [9, 19, 25, 39, 42, 999, 0x7FFF_FFFF, 0xFFFF_FFFF] {
            let s = ta_status(rawValue: raw)
            guard let p = ta_status_name(s) else {
                XCTFail("ta_status_name(\(raw)) is NULL; want a static placeholder")
                continue
            }
            let name = String(cString: p)
            XCTAssertFalse(name.isEmpty, "ta_status_name(\(raw)) is empty")
            XCTAssertFalse(table().contains { $0.1 == name } && name != "TA_INTERNAL_ERROR",
                           "ta_status_name(\(raw)) = \(name) pretends to be a known status")
            XCTAssertEqual(ta_status_name(s), p, "placeholder for \(raw) is not static")
            let http = ta_status_http(s)
            XCTAssertTrue((100...599).contains(http), "ta_status_http(\(raw)) = \(http)")
            if let e = ta_error_json(s) {
                let obj = parseJSON(String(cString: e)) as? [String: Any]
                XCTAssertNotNil(obj, "ta_error_json(\(raw)) is not JSON")
                XCTAssertEqual(bool(obj?["success"]), false)
            }
        }
    }

    func testVersionMatchesHeader() throws {
        let p = try XCTUnwrap(ta_version())
        let v = String(cString: p)
        XCTAssertEqual(v, TA_VERSION_STRING)
        XCTAssertEqual(v, "\(TA_VERSION_MAJOR).\(TA_VERSION_MINOR).\(TA_VERSION_PATCH)")
        let parts = v.split(separator: ".")
        XCTAssertEqual(parts.count, 3)
        XCTAssertTrue(parts.allSatisfy { Int($0) != nil }, "ta_version() = \(v) is not MAJOR.MINOR.PATCH")
        XCTAssertEqual(Int(parts.first ?? ""), Int(TA_ABI_VERSION))
    }

    func testLastErrorIsClearedBySuccessAndNotByStaticHelpers() throws {
        let s = try seededStore()
        assertStatus(ta_member_put(s, "bad id", ""), TA_INVALID_ARGUMENT)
        XCTAssertFalse(lastError().isEmpty)
        // The static helpers do not touch it.
        _ = ta_status_name(TA_OK)
        _ = ta_status_http(TA_OK)
        _ = ta_error_json(TA_FORBIDDEN)
        _ = ta_version()
        ta_free(nil)
        XCTAssertFalse(lastError().isEmpty, "a static helper cleared ta_last_error")
        // A successful call clears it.
        assertStatus(ta_flush(s), TA_OK)
        XCTAssertEqual(lastError(), "", "ta_last_error after a successful call")
        // A failed verification sets it, a successful one clears it.
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        _ = verify(s, t.secret, "users:read")
        XCTAssertFalse(lastError().isEmpty, "no ta_last_error after TA_FORBIDDEN")
        _ = verify(s, t.secret, "tickets:read")
        XCTAssertEqual(lastError(), "")
        // Failed JSON call, then successful JSON call.
        _ = callOut { ta_token_get(s, Members.alice, "tok_doesNotExist00", $0) }
        XCTAssertFalse(lastError().isEmpty)
        _ = callOut { ta_token_list(s, Members.alice, nil, $0) }
        XCTAssertEqual(lastError(), "")
    }

    func testLastErrorIsPerThread() throws {
        let s = try seededStore()
        assertStatus(ta_member_put(s, "", ""), TA_INVALID_ARGUMENT)
        let mine = lastError()
        XCTAssertFalse(mine.isEmpty)
        let seen = LockedBox<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            seen.set(ta_last_error().map { String(cString: $0) } ?? "<NULL>")
            done.signal()
        }
        thread.start()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(seen.get(), "", "another thread sees this thread's last error")
        XCTAssertEqual(lastError(), mine)
    }

    /// Every status of the contract is reachable through the ABI (TA_INTERNAL_ERROR is "a bug").
    func testEveryStatusIsReachable() throws {
        var seen: [UInt32: String] = [:]
        func note(_ st: ta_status, _ how: String) { seen[st.rawValue] = how }

        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:write", expires: T0 + HOUR, rate: 1, window: 60_000)
        note(verify(s, t.secret, "tickets:read").status, "ok")
        note(verify(s, "nope").status, "malformed")
        note(verify(s, fabricateToken()).status, "unknown")
        note(verify(s, t.secret).status, "rate limited")
        let r = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_token_revoke(s, Members.alice, r.id), TA_OK)
        note(verify(s, r.secret).status, "revoked")
        let e = try create(s, actor: Members.bob, scopes: "tickets:read", expires: T0 + 10)
        let i = try create(s, actor: Members.bob, scopes: "tickets:read")
        assertStatus(ta_token_set_active(s, Members.bob, i.id, false), TA_OK)
        ta_set_clock(s, T0 + 20)
        note(verify(s, e.secret).status, "expired")
        note(verify(s, i.secret).status, "inactive")
        let o = try create(s, actor: Members.bob, scopes: "tickets:read")
        setMemberActive(s, Members.bob, false)
        note(verify(s, o.secret).status, "owner inactive")
        setMemberActive(s, Members.bob, true)
        note(verify(s, o.secret, "users:write").status, "forbidden")
        note(ta_token_rename(s, Members.alice, "tok_doesNotExist00", "x"), "not found")
        note(ta_token_rename(s, Members.carol, o.id, "x"), "not found (invisible)")
        note(ta_token_rename(s, Members.auditor, o.id, "x"), "permission denied")
        note(ta_token_set_active(s, Members.alice, r.id, true), "conflict")
        note(ta_member_put(s, "dave", "widgets:read"), "unknown scope")
        note(ta_member_put(s, "bad id", ""), "invalid argument")
        // A file that is not a database.
        let garbage = tempPath()
        XCTAssertTrue(FileManager.default.createFile(atPath: garbage, contents: Data(repeating: 0x42, count: 8192)))
        note(openRaw(.str(garbage)).status, "storage error")

        let want: Set<UInt32> = Set(table().map { $0.0.rawValue }).subtracting([TA_INTERNAL_ERROR.rawValue])
        let missing = want.subtracting(seen.keys).map { statusName(ta_status(rawValue: $0)) }
        XCTAssertTrue(missing.isEmpty, "statuses not reached: \(missing.sorted())")
    }
}
