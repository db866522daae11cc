// "Every function is safe to call from any thread on a shared ta_store."

import CTokenAuth
import Foundation
import XCTest

final class ConcurrencyTests: ABITestCase {
    func testRevokeWhileOtherThreadsVerify() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let store = UnsafeSendable(s)
        let secret = t.secret, id = t.id
        let revoked = LockedBox(false)
        let violations = LockedBox<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { i in
            if i == 0 {
                for _ in 0..<50 { _ = ta_verify(store.value, secret, "tickets:read", nil) }
                if ta_token_revoke(store.value, Members.alice, id) == TA_OK { revoked.set(true) }
            } else {
                for _ in 0..<300 {
                    let wasRevoked = revoked.get()
                    let st = ta_verify(store.value, secret, "tickets:read", nil)
                    if wasRevoked && st != TA_REVOKED {
                        violations.update { $0.append("after revoke: \(statusName(st))") }
                    } else if st != TA_OK && st != TA_REVOKED {
                        violations.update { $0.append(statusName(st)) }
                    }
                }
            }
        }
        XCTAssertTrue(revoked.get(), "the revoke failed")
        XCTAssertEqual(violations.get(), [])
        assertVerdict(verify(s, t.secret), TA_REVOKED)
    }

    func testConcurrentCreatesAndReads() throws {
        let s = try seededStore()
        let store = UnsafeSendable(s)
        let created = LockedBox<[String]>([])
        let failures = LockedBox<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            for j in 0..<10 {
                withCArgs([.str(Members.alice), .str("t\(i)-\(j)"), "tickets:read"]) { p in
                    var spec = ta_token_spec(name: p[1], kind: TA_KIND_PERSONAL, scopes: p[2], expires_at_ms: 0,
                                             rate_limit: 0, rate_window_ms: 0)
                    var tok: UnsafeMutablePointer<CChar>?
                    var tid: UnsafeMutablePointer<CChar>?
                    let st = ta_token_create(store.value, p[0], &spec, &tok, &tid)
                    if st == TA_OK, let tok, let tid {
                        let secret = String(cString: tok), id = String(cString: tid)
                        ta_free(tok)
                        ta_free(tid)
                        created.update { $0.append(id) }
                        if ta_verify(store.value, secret, "tickets:read", nil) != TA_OK {
                            failures.update { $0.append("verify of a fresh token failed") }
                        }
                        if !lastErrorIsEmpty() { failures.update { $0.append("last error after success") } }
                    } else {
                        failures.update { $0.append("create: \(statusName(st))") }
                    }
                }
                var out: UnsafeMutablePointer<CChar>?
                if ta_token_list(store.value, Members.alice, nil, &out) == TA_OK { ta_free(out) } else {
                    failures.update { $0.append("list failed") }
                }
            }
        }
        XCTAssertEqual(failures.get(), [])
        XCTAssertEqual(Set(created.get()).count, 40)
        XCTAssertEqual(Set(ids(try tokenList(s))), Set(created.get()))
    }
}

private func lastErrorIsEmpty() -> Bool {
    guard let p = ta_last_error() else { return false }
    return p.pointee == 0
}
