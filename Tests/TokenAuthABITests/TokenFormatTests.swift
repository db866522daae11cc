// The public token format (<prefix><p|s>_<base62><6-digit base62 CRC-32>), token ids, hints,
// credential parsing (Authorization header forms) and ta_verify_n buffers.

import CTokenAuth
import Foundation
import XCTest

final class TokenFormatTests: ABITestCase {
    func testOurCRC32MatchesZlib() {
        // The standard check value of CRC-32/ISO-HDLC.
        XCTAssertEqual(crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(crc32([]), 0)
        XCTAssertEqual(base62Checksum(""), "000000")
        // 0xCBF43926 = 3421780262 → base62 digits.
        var v: UInt64 = 3_421_780_262
        var digits: [UInt8] = []
        for _ in 0..<6 { digits.insert(base62Alphabet[Int(v % 62)], at: 0); v /= 62 }
        XCTAssertEqual(base62Checksum("123456789"), String(decoding: digits, as: UTF8.self))
    }

    private func checkFormat(_ token: String, prefix: String, kind: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(token.hasPrefix(prefix + kind + "_"), "\(token) lacks \(prefix)\(kind)_", file: file, line: line)
        XCTAssertEqual(token.count, prefix.count + 40, "DECISIONS: len(prefix)+40 characters", file: file, line: line)
        let rest = token.dropFirst(prefix.count + 2)
        XCTAssertTrue(isBase62(rest), "non-base62 characters in \(token)", file: file, line: line)
        XCTAssertTrue((27 + 6...64 + 6).contains(rest.count), file: file, line: line)
        let body = String(token.dropLast(6))
        XCTAssertEqual(String(token.suffix(6)), base62Checksum(body), "checksum of \(token)", file: file, line: line)
    }

    func testDefaultFormatAndChecksum() throws {
        let s = try seededStore()
        var seen = Set<String>()
        for _ in 0..<5 {
            let p = try create(s, actor: Members.alice, scopes: "tickets:read")
            checkFormat(p.secret, prefix: "tka", kind: "p")
            let sv = try service(s, scopes: "tickets:read")
            checkFormat(sv.secret, prefix: "tka", kind: "s")
            seen.insert(p.secret)
            seen.insert(sv.secret)
            for id in [p.id, sv.id] {
                XCTAssertTrue(id.hasPrefix("tok_"), id)
                XCTAssertEqual(id.count, 20, "DECISIONS: tok_ + 16 base62: \(id)")
                XCTAssertTrue(isBase62(id.dropFirst(4)), id)
                XCTAssertFalse(p.secret.contains(String(id.dropFirst(4))), "the id is derived from the secret")
            }
        }
        XCTAssertEqual(seen.count, 10, "secrets repeat")
    }

    func testCustomPrefix() throws {
        let s = try seededStore(prefix: "acme")
        let p = try create(s, actor: Members.alice, scopes: "tickets:read")
        checkFormat(p.secret, prefix: "acme", kind: "p")
        assertVerdict(verify(s, p.secret, "tickets:read"), TA_OK)
        let sv = try service(s, scopes: "tickets:read")
        checkFormat(sv.secret, prefix: "acme", kind: "s")
        let hint = try XCTUnwrap(try tokenGet(s, sv.id)["hint"] as? String)
        XCTAssertEqual(hint, String(sv.secret.prefix(4 + 6)))
    }

    func testHintIsPrefixPlusSixCharacters() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let j = try tokenGet(s, actor: Members.alice, t.id)
        let hint = try XCTUnwrap(j["hint"] as? String)
        XCTAssertEqual(hint, String(t.secret.prefix(3 + 6)))
        XCTAssertEqual(hint.count, 9)
        let listed = try tokenList(s, actor: Members.alice).first { $0["id"] as? String == t.id }
        XCTAssertEqual(listed?["hint"] as? String, hint)
    }

    func testOneChangedCharacterIsMalformed() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let chars = Array(t.secret)
        // Every position of the random part and of the checksum, one substitution each.
        for i in 5..<chars.count {
            var c = chars
            c[i] = c[i] == "A" ? "B" : "A"
            let v = verify(s, String(c))
            assertVerdict(v, TA_MALFORMED, "changed position \(i)")
            XCTAssertEqual(v.http_status, 401)
            XCTAssertEqual(v.kind.rawValue, 0)
            XCTAssertEqual(v.tokenID, "")
            XCTAssertEqual(v.subjectID, "")
        }
        // The kind letter is covered by the checksum too.
        var c = chars
        c[3] = "s"
        assertVerdict(verify(s, String(c)), TA_MALFORMED)
        // Truncated, extended.
        assertVerdict(verify(s, String(t.secret.dropLast())), TA_MALFORMED)
        assertVerdict(verify(s, t.secret + "0"), TA_MALFORMED)
        // And the original still works.
        assertVerdict(verify(s, t.secret), TA_OK)
    }

    func testWellFormedButNeverIssuedIsUnknown() throws {
        let s = try seededStore()
        for kind in ["p", "s"] {
            let v = verify(s, fabricateToken(kind: kind), "tickets:read")
            assertVerdict(v, TA_UNKNOWN_TOKEN)
            XCTAssertEqual(v.http_status, 401)
            XCTAssertEqual(v.kind.rawValue, 0)
            XCTAssertEqual(v.tokenID, "")
            XCTAssertEqual(v.subjectID, "")
            XCTAssertEqual(v.expires_at_ms, 0)
            XCTAssertEqual(v.retry_after_ms, 0)
        }
        // A real token's random part under the other kind letter, checksum recomputed.
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let body = String(t.secret.dropFirst(5).dropLast(6))
        assertVerdict(verify(s, fabricateToken(kind: "s", body: body)), TA_UNKNOWN_TOKEN)
        // Random part of the minimum and maximum length the contract allows.
        assertVerdict(verify(s, fabricateToken(body: randomBase62(27))), TA_UNKNOWN_TOKEN)
        assertVerdict(verify(s, fabricateToken(body: randomBase62(64))), TA_UNKNOWN_TOKEN)
    }

    func testOtherFormatsAreMalformed() throws {
        let s = try seededStore()
        for bad in [
            fabricateToken(kind: "x"),
            fabricateToken(body: randomBase62(26)),
            fabricateToken(body: randomBase62(65)),
            fabricateToken(body: randomBase62(31) + "_"),
            "tka_" + randomBase62(38),
            "tkap" + randomBase62(38),
            "TKAp_" + randomBase62(38),
            "tkap_",
            "tka",
            "x",
        ] {
            assertVerdict(verify(s, bad), TA_MALFORMED, bad)
        }
    }

    func testAnotherStoresPrefixIsMalformed() throws {
        let a = try seededStore()
        let b = try seededStore(prefix: "acme")
        let ta = try create(a, actor: Members.alice, scopes: "tickets:read")
        let tb = try create(b, actor: Members.alice, scopes: "tickets:read")
        assertVerdict(verify(a, tb.secret), TA_MALFORMED, "an acme token on a tka store")
        assertVerdict(verify(b, ta.secret), TA_MALFORMED, "a tka token on an acme store")
        assertVerdict(verify(b, fabricateToken(prefix: "tka")), TA_MALFORMED)
        assertVerdict(verify(b, fabricateToken(prefix: "acme")), TA_UNKNOWN_TOKEN)
        assertVerdict(verify(a, fabricateToken(prefix: "acme")), TA_MALFORMED)
        // A prefix that merely starts like this store's one.
        assertVerdict(verify(a, fabricateToken(prefix: "tkaa")), TA_MALFORMED)
    }

    func testAuthorizationHeaderForms() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        for good in ["Bearer \(t.secret)", "bearer   \(t.secret)", "BEARER \(t.secret)", "bEaReR \(t.secret)", t.secret] {
            let v = verify(s, good, "tickets:read")
            assertVerdict(v, TA_OK, good.replacingOccurrences(of: t.secret, with: "<tok>"))
            XCTAssertEqual(v.tokenID, t.id)
        }
        for bad in [
            "Basic \(t.secret)",
            "Token \(t.secret)",
            " \(t.secret)",
            "\(t.secret) ",
            "Bearer \(t.secret) ",
            " Bearer \(t.secret)",
            "Bearer\t\(t.secret)",
            "Bearer \t\(t.secret)",
            "\t\(t.secret)",
            "\(t.secret)\n",
            "Bearer\(t.secret)",
            "Bearer:\(t.secret)",
            "Bearer  ",
            "Bearer",
            "Bearer Bearer \(t.secret)",
            "",
            " ",
        ] {
            let v = verify(s, bad)
            assertVerdict(v, TA_MALFORMED, "credential \(bad.debugDescription.replacingOccurrences(of: t.secret, with: "<tok>"))")
            XCTAssertEqual(v.http_status, 401)
            XCTAssertEqual(v.tokenID, "")
        }
        // NULL credential (DECISIONS: TA_MALFORMED).
        assertVerdict(verify(s, nil), TA_MALFORMED)
        // Longer than 4096 bytes is malformed; exactly 4096 is an ordinary header.
        assertVerdict(verify(s, "Bearer " + String(repeating: " ", count: 4100) + t.secret), TA_MALFORMED)
        let pad4096 = 4096 - "Bearer".utf8.count - t.secret.utf8.count
        assertVerdict(verify(s, "Bearer" + String(repeating: " ", count: pad4096) + t.secret), TA_OK, "4096 bytes")
        assertVerdict(verify(s, "Bearer" + String(repeating: " ", count: pad4096 + 1) + t.secret), TA_MALFORMED, "4097 bytes")
        assertVerdict(verify(s, oneMiB), TA_MALFORMED)
    }

    func testMalformedCredentialsCountNowhere() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let before = snapshot(s)
        for _ in 0..<3 {
            _ = verify(s, "Basic \(t.secret)")
            _ = verify(s, " \(t.secret)")
            _ = verify(s, fabricateToken())
        }
        assertStatus(ta_flush(s), TA_OK)
        XCTAssertEqual(snapshot(s), before, "malformed/unknown credentials changed the store")
        let st = try stats(s, t.id)
        XCTAssertEqual(int64(st["use_count"]), 0)
        XCTAssertEqual(int64(st["denied_count"]), 0)
    }

    func testInvalidUTF8CredentialIsMalformed() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        var bytes = Array(t.secret.utf8)
        bytes[10] = 0xFF
        let v = withCArgs([.bytes(bytes)]) { p -> ta_verdict in
            var v = garbageVerdict()
            _ = ta_verify(s, p[0], nil, &v)
            return v
        }
        assertVerdict(v, TA_MALFORMED)
        assertVerdict(verifyN(s, bytes), TA_MALFORMED)
        assertVerdict(verifyN(s, Array("Bearer ".utf8) + [0xC3]), TA_MALFORMED)
    }

    func testVerifyN() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let tok = Array(t.secret.utf8)
        // Exact buffer, no NUL after it.
        let ok = verifyN(s, tok, "tickets:read")
        assertVerdict(ok, TA_OK)
        XCTAssertEqual(ok.tokenID, t.id)
        assertVerdict(verifyN(s, Array("Bearer \(t.secret)".utf8)), TA_OK)
        // Length 0.
        assertVerdict(verifyN(s, []), TA_MALFORMED)
        // One byte short.
        assertVerdict(verifyN(s, Array(tok.dropLast())), TA_MALFORMED)
        // Embedded NUL inside the length: the token then NUL then junk, and NUL then the token.
        assertVerdict(verifyN(s, tok + [0] + Array("junk".utf8)), TA_MALFORMED)
        assertVerdict(verifyN(s, tok + [0]), TA_MALFORMED)
        assertVerdict(verifyN(s, [0] + tok), TA_MALFORMED)
        // A slice of a larger request buffer: "Authorization: Bearer <tok>\r\nHost: x".
        let request = Array("GET / HTTP/1.1\r\nAuthorization: Bearer \(t.secret)\r\nHost: x\r\n\r\n".utf8)
        let start = try XCTUnwrap(request.indices.first { request[$0...].starts(with: Array("Bearer".utf8)) })
        let len = "Bearer ".utf8.count + tok.count
        let v = request.withUnsafeBufferPointer { buf -> ta_verdict in
            var v = garbageVerdict()
            let base = UnsafeRawPointer(buf.baseAddress! + start).assumingMemoryBound(to: CChar.self)
            let st = ta_verify_n(s, base, len, "tickets:read", &v)
            XCTAssertEqual(st.rawValue, v.status.rawValue)
            return v
        }
        assertVerdict(v, TA_OK, "slice of a request buffer")
        XCTAssertEqual(v.tokenID, t.id)
        // The same slice one byte too long takes the "\r": malformed.
        let v2 = request.withUnsafeBufferPointer { buf -> ta_verdict in
            var v = garbageVerdict()
            let base = UnsafeRawPointer(buf.baseAddress! + start).assumingMemoryBound(to: CChar.self)
            _ = ta_verify_n(s, base, len + 1, nil, &v)
            return v
        }
        assertVerdict(v2, TA_MALFORMED)
        // NULL credential with a length.
        var v3 = garbageVerdict()
        let st3 = ta_verify_n(s, nil, 10, nil, &v3)
        assertStatus(st3, TA_MALFORMED)
        assertStatus(v3.status, TA_MALFORMED)
        // More than 4096 bytes.
        assertVerdict(verifyN(s, Array("Bearer ".utf8) + [UInt8](repeating: 0x20, count: 5000) + tok), TA_MALFORMED)
        // NULL store.
        var v4 = garbageVerdict()
        assertStatus(tok.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: tok.count) { ta_verify_n(nil, $0, tok.count, nil, &v4) }
        }, TA_INVALID_ARGUMENT)
        XCTAssertEqual(v4.http_status, 400)
    }

    func testVerdictMayBeNull() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        assertStatus(ta_verify(s, t.secret, "tickets:read", nil), TA_OK)
        assertStatus(ta_verify(s, t.secret, "users:read", nil), TA_FORBIDDEN)
        assertStatus(ta_verify(s, "junk", nil, nil), TA_MALFORMED)
        assertStatus(ta_verify(nil, t.secret, nil, nil), TA_INVALID_ARGUMENT)
        let n = ta_verify_n(s, t.secret, t.secret.utf8.count, nil, nil)
        assertStatus(n, TA_OK)
    }

    func testNullStoreAndBadRequiredScopes() throws {
        let s = try seededStore()
        let t = try create(s, actor: Members.alice, scopes: "tickets:read")
        let v = verify(nil, t.secret, "tickets:read")
        assertVerdict(v, TA_INVALID_ARGUMENT)
        XCTAssertEqual(v.http_status, 400)
        XCTAssertFalse(lastError().isEmpty)
        let before = snapshot(s)
        for bad in ["Tickets:read", "tickets:read!", "tickets:read\tusers:read", "tickets/read",
                    String(repeating: "a", count: 64), "tickets:read " + String(repeating: "b", count: 64)] {
            let v = verify(s, t.secret, bad)
            assertVerdict(v, TA_INVALID_ARGUMENT, "required scopes \(bad.prefix(80))")
            XCTAssertEqual(v.http_status, 400)
            XCTAssertFalse(lastError().isEmpty)
        }
        let vb = withCArgs([.bytes(invalidUTF8)]) { p -> ta_verdict in
            var v = garbageVerdict()
            _ = ta_verify(s, t.secret, p[0], &v)
            return v
        }
        assertVerdict(vb, TA_INVALID_ARGUMENT, "invalid UTF-8 required scopes")
        // Checked before the credential: a malformed credential with bad scopes is still INVALID.
        assertVerdict(verify(s, "junk", "BAD"), TA_INVALID_ARGUMENT)
        // Touches no storage and counts nowhere.
        assertStatus(ta_flush(s), TA_OK)
        XCTAssertEqual(snapshot(s), before)
        XCTAssertEqual(int64(try stats(s, t.id)["use_count"]), 0)
        XCTAssertEqual(int64(try stats(s, t.id)["denied_count"]), 0)
        // Empty and NULL required scopes: no scope check at all.
        assertVerdict(verify(s, t.secret, ""), TA_OK)
        assertVerdict(verify(s, t.secret, nil), TA_OK)
    }
}
