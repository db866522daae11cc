import XCTest
@testable import TokenAuthCore

/// Resource patterns, grants and their containment, checked against brute force; and the index's
/// qualified grants against `ScopesInForce`, the management calls' definition.
final class GrantTests: XCTestCase {
    private func covers(_ pattern: String, _ name: String) -> Bool {
        var pattern = pattern, name = name
        return pattern.withUTF8 { p in name.withUTF8 { ResourcePattern.covers(UnsafeRawBufferPointer(p), name: UnsafeRawBufferPointer($0)) } }
    }

    func testWellFormedPatternsAndNames() {
        for good in ["project", "project/42", "site/*/rack/7", "*", "A.b_c:d-e/9", String(repeating: "x", count: 64)] {
            XCTAssertTrue(ResourcePattern.isWellFormed(good, wildcards: true), good)
        }
        for bad in ["", "/", "project/", "/project", "a//b", "a/**", "a/b*", "*a", "a b", "a/é", "a@b", "a\u{0}b",
                    String(repeating: "x", count: 65), String(repeating: "ab/", count: 67) + "ab"] {
            XCTAssertFalse(ResourcePattern.isWellFormed(bad, wildcards: true), bad)
        }
        XCTAssertFalse(ResourcePattern.isWellFormed("project/*", wildcards: false), "a name has no wildcard")
        XCTAssertTrue(ResourcePattern.isWellFormed(String(repeating: "abc/", count: 255) + "abc", wildcards: false), "1,023 bytes")
        XCTAssertFalse(ResourcePattern.isWellFormed(String(repeating: "abc/", count: 256) + "a", wildcards: false), "1,025 bytes")
        XCTAssertFalse(ResourcePattern.isWellFormed(String(repeating: "ab/", count: 66) + "abc", wildcards: true), "201 bytes")
    }

    /// The definition, read literally: `/`-separated segments of 1...64 bytes of `[A-Za-z0-9._:-]`,
    /// or (a pattern's) a lone `*`; at most 200 bytes for a pattern, 1,024 for a name.
    private func definitionSays(_ bytes: [UInt8], wildcards: Bool) -> Bool {
        let allowed = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-".utf8))
        guard !bytes.isEmpty, bytes.count <= (wildcards ? 200 : 1024) else { return false }
        return bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).allSatisfy { segment in
            (wildcards && Array(segment) == [UInt8(ascii: "*")]) || (1...64).contains(segment.count) && segment.allSatisfy(allowed.contains)
        }
    }

    /// Every byte value in every position of a 9-byte name (the word-at-a-time check reads words
    /// of 8) and of a 3-byte one (checked byte by byte), segments of every length up to 70, then
    /// random names of up to 300 bytes over an alphabet rich in `/`, `*` and bytes no name holds,
    /// with segments near 64 bytes: the check agrees with the definition on each.
    func testWellFormednessMatchesTheDefinition() {
        for (base, position) in (0..<9).map({ ("abcd/efgh", $0) }) + (0..<3).map({ ("a/b", $0) }) {
            for value in UInt8.min...UInt8.max {
                var name = Array(base.utf8)
                name[position] = value
                for wildcards in [false, true] {
                    XCTAssertEqual(name.withUnsafeBytes { ResourcePattern.isWellFormed($0, wildcards: wildcards) },
                                   definitionSays(name, wildcards: wildcards), "\(name) wildcards \(wildcards)")
                }
            }
        }
        // Two and three segments of every length up to 70 (0: empty), so that each length meets
        // each of a word's positions, overlapping last words included.
        for first in 0...70 {
            for second in 0...70 {
                let two = Array(repeating: UInt8(ascii: "x"), count: first) + [UInt8(ascii: "/")]
                    + Array(repeating: UInt8(ascii: "y"), count: second)
                for name in [two, two + Array("/z".utf8)] {
                    XCTAssertEqual(name.withUnsafeBytes { ResourcePattern.isWellFormed($0, wildcards: false) },
                                   definitionSays(name, wildcards: false), "\(first) and \(second) bytes")
                }
            }
        }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab/Z9._:-*".utf8) + [0, 0x20, 0x2C, 0x3B, 0x40, 0x5B, 0x60, 0x7B, 0x7F, 0x80, 0xAF, 0xFF]
        var wellFormed = 0
        for _ in 0..<50_000 {
            var name: [UInt8] = []
            let length = Int.random(in: 1...300, using: &generator)
            while name.count < length {
                // Mostly long runs of one segment byte, so that segments of about 64 bytes come up.
                if Bool.random(using: &generator) {
                    name += Array(repeating: UInt8(ascii: "x"), count: Int.random(in: 1...70, using: &generator))
                } else {
                    name.append(alphabet.randomElement(using: &generator) ?? 0)
                }
            }
            for wildcards in [false, true] {
                let expected = definitionSays(name, wildcards: wildcards)
                wellFormed += expected ? 1 : 0
                XCTAssertEqual(name.withUnsafeBytes { ResourcePattern.isWellFormed($0, wildcards: wildcards) }, expected,
                               "\(name) wildcards \(wildcards)")
            }
        }
        XCTAssertGreaterThan(wellFormed, 1_000, "the generator makes well-formed names too")
    }

    func testCoverage() {
        XCTAssertTrue(covers("project/42", "project/42"))
        XCTAssertTrue(covers("project/42", "project/42/tickets/7"), "the name may go deeper")
        XCTAssertFalse(covers("project/42", "project"), "not a shorter name")
        XCTAssertFalse(covers("project/42", "project/420"), "whole segments")
        XCTAssertFalse(covers("project/42", "Project/42"), "case-sensitive")
        XCTAssertTrue(covers("site/*/rack/7", "site/paris/rack/7/unit/3"))
        XCTAssertFalse(covers("site/*/rack/7", "site/paris/rack/8"))
        XCTAssertFalse(covers("site/*", "site"), "a * matches one whole segment, not none")
        XCTAssertTrue(covers("*", "anything/at/all"))
    }

    /// Every pattern of up to 3 segments over {a, b, *}, every name of up to 4 segments over {a, b, c}:
    /// the containment rule holds exactly when every name the inner pattern covers, the outer covers.
    func testContainmentIsBruteForceInclusion() {
        func all(_ alphabet: [String], upTo length: Int) -> [String] {
            var result: [[String]] = [[]]
            var out: [String] = []
            for _ in 1...length {
                result = result.flatMap { prefix in alphabet.map { prefix + [$0] } }
                out += result.map { $0.joined(separator: "/") }
            }
            return out
        }
        let patterns = all(["a", "b", "*"], upTo: 3), names = all(["a", "b", "c"], upTo: 4)
        var checked = 0
        for outer in patterns {
            for inner in patterns {
                let included = names.allSatisfy { !covers(inner, $0) || covers(outer, $0) }
                XCTAssertEqual(ResourcePattern.contains(outer, inner), included, "\(outer) ⊇ \(inner)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 39 * 39)
    }

    func testGrantsParseAndCoverWithImplications() throws {
        let catalog = ScopeCatalog.standard
        let grants = try Grant.parseList("tickets:write@project/42  admin@site/* tickets:write@project/42 users:read", "scopes")
        XCTAssertEqual(grants.map(\.text), ["admin@site/*", "tickets:write@project/42", "users:read"], "de-duplicated, sorted")
        let cover = GrantCover(expanding: grants, catalog: catalog)
        XCTAssertTrue(cover.holds("tickets:read", on: "project/42/tickets/1"), "implications keep the qualifier")
        XCTAssertFalse(cover.holds("tickets:read", on: "project/43"))
        XCTAssertFalse(cover.holds("tickets:read", on: nil), "no resource: only grants on every resource")
        XCTAssertTrue(cover.holds("assets:write", on: "site/paris"), "admin@P: every scope on P")
        XCTAssertFalse(cover.holds("assets:write", on: "office/paris"))
        XCTAssertTrue(cover.holds("users:read", on: "anything"))
        XCTAssertFalse(cover.isAdmin, "admin on some resources is not an administrator")
        XCTAssertTrue(cover.covers(Grant(scope: "tickets:read", pattern: "project/42/tickets/*")))
        XCTAssertFalse(cover.covers(Grant(scope: "tickets:read", pattern: "project/*")), "a * needs a *")
        XCTAssertFalse(cover.covers(Grant(scope: "tickets:read", pattern: nil)), "every resource needs a grant on every resource")
        XCTAssertTrue(cover.covers(Grant(scope: "users:read", pattern: "x")), "a grant on every resource covers any pattern")
        XCTAssertFalse(cover.covers(Grant(scope: "nope", pattern: "site/x")), "not in the catalog")
        for bad in ["tickets:read@", "tickets:read@a//b", "Tickets:read@a", "@a", "tickets:read@a@b"] {
            XCTAssertThrowsError(try Grant.parseList(bad, "scopes"), bad)
        }
    }

    /// The hot path's qualified grants answer what `ScopesInForce` answers, for every catalog scope,
    /// over tokens and owners with qualified grants and resources inside and outside their patterns.
    func testTheIndexAnswersAsScopesInForce() throws {
        let catalog = ScopeCatalog.standard
        let index = ScopeIndex(catalog: catalog, version: 1)
        let tokenGrantLists = ["tickets:read", "tickets:write@project/42", "admin@site/*", "tickets:read@project/*/tickets assets:read",
                               "tickets:write users:read@u/1", "admin"]
        let owners: [Member?] = [nil, Member(id: "o1", active: true, permissions: ["tickets:read"]),
                                 Member(id: "o2", active: true, permissions: ["tickets:write@project/42"]),
                                 Member(id: "o3", active: true, permissions: ["admin@project/*", "users:read"]),
                                 Member(id: "o4", active: true, permissions: ["admin"])]
        let resources = ["project/42", "project/42/tickets/9", "project/43/tickets", "site/a", "u/1", "u/2", "other"]
        for list in tokenGrantLists {
            let expanded = GrantCover(expanding: try Grant.parseList(list, "scopes"), catalog: catalog).expandedTexts
            for kind in [TokenKind.service, .personal] {
                for owner in kind == .service ? [nil] : owners {
                    let (set, qualified) = index.inForce(expanded: expanded.joined(separator: " "), kind: kind, owner: owner)
                    let reference = ScopesInForce(catalog: catalog, tokenScopes: expanded, kind: kind, owner: owner)
                    for resource in resources {
                        var bytes = resource
                        for (position, name) in index.names.enumerated() {
                            let indexed = set.contains(position)
                                || bytes.withUTF8 { qualified?.inForce(position, on: UnsafeRawBufferPointer($0)) } != nil
                            XCTAssertEqual(indexed, reference.contains(name, on: resource),
                                           "\(name) on \(resource) for \(kind) [\(list)] owner \(owner?.permissions ?? [])")
                        }
                    }
                }
            }
        }
    }
}
