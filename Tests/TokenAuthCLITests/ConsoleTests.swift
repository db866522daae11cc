// End-to-end: the built binary on a temporary database, as an operator or a script uses it.

import Foundation
import XCTest

final class ConsoleTests: XCTestCase {
    /// A database with alice (personal tokens, tickets), bob (nothing) and ops (service tokens).
    private func seeded() throws -> Workspace {
        let ws = try Workspace()
        XCTAssertExit(try ws.run(["member", "put", "alice", "--permissions", "ManagePersonalAccessTokens tickets:write"]), 0)
        XCTAssertExit(try ws.run(["member", "put", "bob", "--permissions", ""]), 0)
        XCTAssertExit(try ws.run(["member", "put", "ops", "--permissions", "ManageServiceAccessTokens ListAccessTokens tickets:read assets:read"]), 0)
        return ws
    }

    private func create(_ ws: Workspace, _ arguments: [String], as actor: String? = nil,
                        file: StaticString = #filePath, line: UInt = #line) throws -> (id: String, token: String) {
        let run = try ws.run(["token", "create", "--json"] + arguments, as: actor)
        XCTAssertExit(run, 0, file: file, line: line)
        let object = run.object(file: file, line: line)
        return (object["id"] as? String ?? "", object["token"] as? String ?? "")
    }

    private func verify(_ ws: Workspace, _ token: String, scopes: String? = nil) throws -> Run {
        try ws.run(["verify", "-"] + (scopes.map { ["--scopes", $0] } ?? []), stdin: token + "\n")
    }

    func testCreatePrintsTheSecretOnceWithAWarning() throws {
        let ws = try seeded()
        let run = try ws.run(["token", "create", "--name", "deploy bot", "--kind", "service", "--scopes", "tickets:read",
                              "--expires", "30d", "--rate-limit", "100/min"])
        XCTAssertExit(run, 0)
        XCTAssertTrue(run.out.contains("will not be shown again"), run.out)
        let secret = run.out.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("tkas_") }.map(String.init)
        XCTAssertEqual(secret?.count, 3 + 40)
        let id = run.out.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("tok_") }.map(String.init) ?? ""
        XCTAssertFalse(id.isEmpty)
        // The listing and the details never show it again: only the hint.
        for command in [["token", "list"], ["token", "list", "--json"], ["token", "show", id], ["token", "show", id, "--json"]] {
            let shown = try ws.run(command)
            XCTAssertExit(shown, 0)
            XCTAssertFalse(shown.out.contains(secret ?? "?"), "\(command) shows the secret")
            if command.contains("show") {
                XCTAssertTrue(shown.out.contains(String((secret ?? "").prefix(9))), "\(command) shows the hint")
            }
        }
        let token = try ws.run(["token", "show", id, "--json"]).object()
        XCTAssertEqual(token["name"] as? String, "deploy bot")
        XCTAssertEqual((token["rate_limit"] as? [String: Any])?["limit"] as? Int, 100)
        XCTAssertEqual((token["rate_limit"] as? [String: Any])?["window_ms"] as? Int, 60_000)
        let expiresAt = (token["expires_at"] as? NSNumber)?.int64Value ?? 0
        let createdAt = (token["created_at"] as? NSNumber)?.int64Value ?? 0
        XCTAssertEqual(Double(expiresAt - createdAt), Double(30 * 86_400_000), accuracy: 5_000)
    }

    func testTokenLifecycle() throws {
        let ws = try seeded()
        let service = try create(ws, ["--name", "ci", "--kind", "service", "--scopes", "tickets:read", "--expires", "2099-01-31"])
        let personal = try create(ws, ["--name", "laptop", "--kind", "personal", "--scopes", "tickets:write"], as: "alice")
        XCTAssertTrue(personal.token.hasPrefix("tkap_"))

        // list: JSON parsed back, the table aligned with the columns of the product documents' list.
        let listed = try ws.run(["token", "list", "--json"]).array()
        XCTAssertEqual(Set(listed.compactMap { $0["id"] as? String }), [service.id, personal.id])
        let table = try ws.run(["token", "list"])
        XCTAssertExit(table, 0)
        let header = table.out.split(separator: "\n").first.map(String.init) ?? ""
        for column in ["ID", "NAME", "KIND", "OWNER", "SCOPES", "STATUS", "CREATED", "EXPIRES", "LAST USED", "USES"] {
            XCTAssertTrue(header.contains(column), "missing column \(column): \(header)")
        }
        XCTAssertTrue(table.out.contains("just now"), table.out)
        XCTAssertEqual(try ws.run(["token", "list", "--kind", "personal", "--json"]).array().count, 1)
        XCTAssertEqual(try ws.run(["token", "list", "--owner", "alice", "--json"]).array().first?["id"] as? String, personal.id)
        XCTAssertEqual(try ws.run(["token", "list", "--status", "revoked", "--json"]).array().count, 0)
        // alice sees only her own token.
        XCTAssertEqual(try ws.run(["token", "list", "--json"], as: "alice").array().compactMap { $0["id"] as? String }, [personal.id])

        // rename
        XCTAssertExit(try ws.run(["token", "rename", personal.id, "old laptop"], as: "alice"), 0)
        XCTAssertEqual(try ws.run(["token", "show", personal.id, "--json"]).object()["name"] as? String, "old laptop")

        // deactivate / activate
        XCTAssertExit(try ws.run(["token", "deactivate", personal.id], as: "alice"), 0)
        XCTAssertExit(try verify(ws, personal.token), 15)
        XCTAssertEqual(try ws.run(["token", "show", personal.id, "--json"]).object()["status"] as? String, "inactive")
        XCTAssertExit(try ws.run(["token", "activate", personal.id], as: "alice"), 0)
        XCTAssertExit(try verify(ws, personal.token), 0)

        // rotate: a new secret; the old one is revoked at once without a grace period.
        let rotated = try ws.run(["token", "rotate", personal.id, "--json"], as: "alice")
        XCTAssertExit(rotated, 0)
        let next = rotated.object()
        let nextID = next["id"] as? String ?? "", nextToken = next["token"] as? String ?? ""
        XCTAssertNotEqual(nextID, personal.id)
        XCTAssertExit(try verify(ws, personal.token), 13)
        XCTAssertExit(try verify(ws, nextToken), 0)
        XCTAssertEqual(try ws.run(["token", "show", nextID, "--json"]).object()["rotated_from"] as? String, personal.id)
        // rotate with a grace period: the old one keeps working meanwhile.
        let graceful = try ws.run(["token", "rotate", service.id, "--grace", "10m", "--json"])
        XCTAssertExit(graceful, 0)
        XCTAssertEqual(graceful.object()["grace_ms"] as? Int, 600_000)
        XCTAssertExit(try verify(ws, service.token), 0)
        // rotating it again is a conflict.
        XCTAssertFails(try ws.run(["token", "rotate", service.id]), 5, "TA_CONFLICT")

        // revoke (no terminal: no question) and delete.
        XCTAssertExit(try ws.run(["token", "revoke", nextID, "--yes"], as: "alice"), 0)
        XCTAssertExit(try verify(ws, nextToken), 13)
        XCTAssertFails(try ws.run(["token", "activate", nextID], as: "alice"), 5, "TA_CONFLICT")
        XCTAssertExit(try ws.run(["token", "delete", nextID], as: "alice"), 0)
        XCTAssertExit(try verify(ws, nextToken), 12)
        XCTAssertFails(try ws.run(["token", "show", nextID]), 3, "TA_NOT_FOUND")
    }

    func testVerify() throws {
        let ws = try seeded()
        let token = try create(ws, ["--name", "ci", "--kind", "service", "--scopes", "tickets:read", "--rate-limit", "2/h"])
        // From standard input, so that it stays out of the shell history.
        let ok = try verify(ws, token.token, scopes: "tickets:read")
        XCTAssertExit(ok, 0)
        XCTAssertTrue(ok.out.contains("TA_OK"), ok.out)
        XCTAssertTrue(ok.out.contains(token.id), ok.out)
        // As an argument, bare or as an Authorization header value; JSON parsed back. The token's
        // bucket is the host's: this second run draws its last unit, a third is refused.
        let json = try ws.run(["verify", "Bearer \(token.token)", "--json"])
        XCTAssertExit(json, 0)
        XCTAssertEqual(json.object()["status"] as? String, "TA_OK")
        XCTAssertEqual(json.object()["http_status"] as? Int, 200)
        XCTAssertEqual(json.object()["token_id"] as? String, token.id)
        XCTAssertEqual(json.object()["rate_limit"] as? Int, 2)
        XCTAssertEqual(json.object()["rate_remaining"] as? Int, 0)
        XCTAssertFails(try verify(ws, token.token, scopes: "tickets:read"), 18, "TA_RATE_LIMITED")

        let other = try create(ws, ["--name", "other", "--kind", "service", "--scopes", "tickets:read"])
        let forbidden = try verify(ws, other.token, scopes: "tickets:write")
        XCTAssertFails(forbidden, 17, "TA_FORBIDDEN")
        XCTAssertTrue(forbidden.err.contains("tickets:write"), forbidden.err)
        let forbiddenJSON = try ws.run(["verify", "-", "--scopes", "tickets:write", "--json"], stdin: other.token)
        XCTAssertExit(forbiddenJSON, 17)
        XCTAssertEqual(forbiddenJSON.object()["missing_scope"] as? String, "tickets:write")
        XCTAssertFails(try verify(ws, "not a token"), 11, "TA_MALFORMED")
        XCTAssertFails(try verify(ws, TokenMaker.make()), 12, "TA_UNKNOWN_TOKEN")
        XCTAssertFails(try verify(ws, other.token, scopes: "NOT VALID"), 2, "TA_INVALID_ARGUMENT")
        // The credential never appears in an error.
        XCTAssertFalse(forbidden.err.contains(other.token))
    }

    func testAProjectScopedTokenIsVerifiedAgainstAResource() throws {
        let ws = try seeded()
        let token = try create(ws, ["--name", "sync project 42", "--kind", "service", "--scopes", "tickets:read@project/42"])
        let inside = try ws.run(["verify", "-", "--scopes", "tickets:read", "--resource", "project/42/tickets/7"], stdin: token.token)
        XCTAssertExit(inside, 0)
        let outside = try ws.run(["verify", "-", "--scopes", "tickets:read", "--resource", "project/43"], stdin: token.token)
        XCTAssertFails(outside, 17, "TA_FORBIDDEN")
        XCTAssertTrue(outside.err.contains("on resource project/43"), outside.err)
        XCTAssertFails(try verify(ws, token.token, scopes: "tickets:read"), 17, "TA_FORBIDDEN")
        let bad = try ws.run(["verify", "-", "--scopes", "tickets:read", "--resource", "project/*"], stdin: token.token)
        XCTAssertFails(bad, 2, "TA_INVALID_ARGUMENT")
        let shown = try ws.run(["token", "show", token.id])
        XCTAssertTrue(shown.out.contains("tickets:read@project/42"), shown.out)
    }

    func testHelpExplainsGrantsScopedToResources() throws {
        let create = try Console.run(["token", "create", "--help"])
        XCTAssertExit(create, 0)
        // Help is wrapped to the terminal's width: compare words, not lines.
        let words = create.out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for text in ["SCOPE@PATTERN", "tickets:read@project/42", "project/42/tickets/7", "a lone * is any one segment", "must be covered by one the actor holds"] {
            XCTAssertTrue(words.contains(text), "token create --help: \(text)\n\(create.out)")
        }
        let put = try Console.run(["member", "put", "--help"])
        XCTAssertExit(put, 0)
        XCTAssertTrue(put.out.contains("SCOPE@PATTERN"), put.out)
    }

    func testStatsAuditReport() throws {
        let ws = try seeded()
        let token = try create(ws, ["--name", "ci", "--kind", "service", "--scopes", "tickets:read assets:read"], as: "ops")
        for _ in 0..<3 { XCTAssertExit(try verify(ws, token.token, scopes: "tickets:read"), 0) }
        XCTAssertExit(try verify(ws, token.token, scopes: "users:read"), 17)

        let stats = try ws.run(["stats", token.id, "--json"])
        XCTAssertExit(stats, 0)
        XCTAssertEqual(stats.object()["use_count"] as? Int, 3)
        XCTAssertEqual(stats.object()["denied_count"] as? Int, 1)
        XCTAssertEqual((stats.object()["by_day"] as? [String: Any])?.values.compactMap { $0 as? Int }, [3])
        XCTAssertEqual(stats.object()["scopes_used"] as? [String], ["tickets:read"])
        let chart = try ws.run(["stats", token.id, "--since", "7d"], as: "ops")
        XCTAssertExit(chart, 0)
        XCTAssertTrue(chart.out.contains("█"), chart.out)
        XCTAssertTrue(chart.out.contains("uses: 3"), chart.out)
        XCTAssertFails(try ws.run(["stats", token.id, "--since", "a week"]), 2, "invalid --since")

        let audit = try ws.run(["audit", "--json"])
        XCTAssertExit(audit, 0)
        let events = audit.array().compactMap { $0["event"] as? String }
        XCTAssertTrue(events.contains("token.created"), "\(events)")
        XCTAssertTrue(events.contains("verify.denied"), "\(events)")
        XCTAssertTrue(events.contains("member.put"), "\(events)")
        let created = try ws.run(["audit", "--token", token.id, "--event", "token.created", "--limit", "1", "--json"]).array()
        XCTAssertEqual(created.count, 1)
        XCTAssertEqual(created.first?["actor"] as? String, "ops")
        XCTAssertEqual(try ws.run(["audit", "--actor", "ops", "--since", "1h", "--json"]).array().count, 1)
        let table = try ws.run(["audit"])
        XCTAssertTrue(table.out.contains("token.created") && table.out.contains("TIME (UTC)"), table.out)
        // Reading the audit log needs admin: ops is not.
        XCTAssertFails(try ws.run(["audit"], as: "ops"), 4, "TA_PERMISSION_DENIED")

        let report = try ws.run(["report", "--json"])
        XCTAssertExit(report, 0)
        let entry = (report.object()["tokens"] as? [[String: Any]])?.first { $0["token_id"] as? String == token.id }
        XCTAssertEqual(entry?["unused_scopes"] as? [String], ["assets:read"])
        XCTAssertEqual(entry?["never_expires"] as? Bool, true)
        let text = try ws.run(["report", "--since", "90d"])
        XCTAssertExit(text, 0)
        XCTAssertTrue(text.out.contains("assets:read"), text.out)
    }

    func testMembersAndScopes() throws {
        let ws = try seeded()
        XCTAssertExit(try ws.run(["scope", "define", "billing:read", "--description", "Read invoices"]), 0)
        XCTAssertExit(try ws.run(["scope", "define", "billing:write", "--implies", "billing:read"]), 0)
        let scopes = try ws.run(["scope", "list", "--json"]).array()
        let billing = scopes.first { $0["scope"] as? String == "billing:write" }
        XCTAssertEqual(billing?["implies"] as? [String], ["billing:read"])
        XCTAssertTrue(try ws.run(["scope", "list"]).out.contains("Read invoices"))
        XCTAssertFails(try ws.run(["scope", "define", "x:y", "--implies", "nope:nope"]), 6, "TA_UNKNOWN_SCOPE")

        let members = try ws.run(["member", "list", "--json"]).array()
        XCTAssertEqual(members.compactMap { $0["id"] as? String }, ["alice", "bob", "ops"])
        let token = try create(ws, ["--name", "laptop", "--kind", "personal", "--scopes", "tickets:read"], as: "alice")
        XCTAssertExit(try ws.run(["member", "deactivate", "alice"]), 0)
        XCTAssertExit(try verify(ws, token.token), 16)
        XCTAssertTrue(try ws.run(["member", "list"]).out.contains("no"))
        XCTAssertExit(try ws.run(["member", "activate", "alice"]), 0)
        XCTAssertExit(try verify(ws, token.token), 0)
        XCTAssertExit(try ws.run(["member", "remove", "alice", "--yes"]), 0)
        XCTAssertExit(try verify(ws, token.token), 13)
        XCTAssertFails(try ws.run(["member", "activate", "alice"]), 3, "TA_NOT_FOUND")
        // Member and scope commands are the host's: they take no --as.
        XCTAssertExit(try ws.run(["member", "list"], as: "bob"), 2)
    }

    func testBadInput() throws {
        let ws = try seeded()
        let token = try create(ws, ["--name", "ci", "--kind", "service", "--scopes", "tickets:read"])
        XCTAssertFails(try ws.run(["token", "show", "tok_doesnotexist"]), 3, "TA_NOT_FOUND")
        XCTAssertFails(try ws.run(["token", "revoke", "tok_doesnotexist", "--yes"]), 3, "TA_NOT_FOUND")
        XCTAssertFails(try ws.run(["stats", "tok_doesnotexist"]), 3, "TA_NOT_FOUND")
        XCTAssertFails(try ws.run(["token", "create", "--name", "x", "--kind", "service", "--scopes", "tickets:read", "--expires", "5x"]),
                       2, "invalid expiry")
        XCTAssertFails(try ws.run(["token", "rotate", token.id, "--grace", "soon"]), 2, "invalid grace period")
        XCTAssertFails(try ws.run(["token", "create", "--name", "x", "--kind", "service", "--scopes", "tickets:read", "--rate-limit", "lots"]),
                       2, "invalid rate limit")
        XCTAssertFails(try ws.run(["token", "create", "--name", "x", "--kind", "service", "--scopes", "tickets:read", "--expires", "2001-01-01"]),
                       2, "TA_INVALID_ARGUMENT")
        XCTAssertFails(try ws.run(["token", "create", "--name", "x", "--kind", "service", "--scopes", "nope:read"]), 6, "TA_UNKNOWN_SCOPE")
        XCTAssertFails(try ws.run(["token", "create", "--name", "x", "--kind", "robot", "--scopes", "tickets:read"]), 2, "robot")
        XCTAssertFails(try ws.run(["token", "create", "--kind", "service", "--scopes", "tickets:read"]), 2, "--name")
        // Permission denied: bob may not create service tokens; alice may not ask for what she lacks;
        // a stranger is not a member; ops may not manage alice's personal tokens (it does not see them).
        XCTAssertFails(try ws.run(["token", "create", "--name", "x", "--kind", "service", "--scopes", "tickets:read"], as: "bob"),
                       4, "TA_PERMISSION_DENIED")
        XCTAssertFails(try ws.run(["token", "create", "--name", "x", "--kind", "personal", "--scopes", "users:read"], as: "alice"),
                       4, "TA_PERMISSION_DENIED")
        XCTAssertFails(try ws.run(["token", "list"], as: "mallory"), 4, "TA_PERMISSION_DENIED")
        XCTAssertFails(try ws.run(["token", "revoke", token.id], as: "alice"), 3, "TA_NOT_FOUND")
        XCTAssertFails(try ws.run(["token", "list", "--as", "system"]), 2, "TA_INVALID_ARGUMENT")
        // The command line itself.
        XCTAssertFails(try ws.run(["token", "frobnicate"]), 2, "tokenauth")
        XCTAssertFails(try ws.run(["token", "list", "--colour"]), 2, "--colour")
        XCTAssertFails(try ws.run(["token", "list", "--status", "sleeping"]), 2, "TA_INVALID_ARGUMENT")
        // A reading command does not create a database where there is none.
        let missing = ws.path("missing.db")
        XCTAssertFails(try Console.run(["token", "list", "--db", missing]), 7, "no token database")
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
        // Not a database.
        try ws.write("junk.db", String(repeating: "junk", count: 1000))
        XCTAssertFails(try Console.run(["token", "list", "--db", ws.path("junk.db")]), 7, "TA_STORAGE_ERROR")
    }

    func testOptionsBeforeTheCommandAndTheEnvironment() throws {
        let ws = try seeded()
        _ = try create(ws, ["--name", "ci", "--kind", "service", "--scopes", "tickets:read"])
        let hoisted = try Console.run(["--db", ws.db, "--json", "token", "list"])
        XCTAssertExit(hoisted, 0)
        XCTAssertEqual(hoisted.array().count, 1)
        let fromEnvironment = try Console.run(["token", "list", "--json"], environment: ["TOKENAUTH_DB": ws.db])
        XCTAssertEqual(fromEnvironment.array().count, 1)
        // The default is ./tokens.db.
        let inDirectory = try Console.run(["token", "list", "--json"], directory: ws.directory)
        XCTAssertEqual(inDirectory.array().count, 1)
        let help = try Console.run(["--help"])
        XCTAssertExit(help, 0)
        XCTAssertTrue(help.out.contains("Exit codes"), help.out)
    }

    func testScan() throws {
        let ws = try seeded()
        let live = try create(ws, ["--name", "ci", "--kind", "service", "--scopes", "tickets:read"])
        let revoked = try create(ws, ["--name", "old", "--kind", "personal", "--scopes", "tickets:read"], as: "alice")
        XCTAssertExit(try ws.run(["token", "revoke", revoked.id]), 0)
        let foreign = TokenMaker.make(prefix: "ghx", kind: "p")
        let unknown = TokenMaker.make(prefix: "tka", kind: "s")
        try ws.write("repo/config/.env", "# settings\nAPI_TOKEN=\(live.token)\n")
        try ws.write("repo/src/client.py", "headers = {\"Authorization\": \"Bearer \(revoked.token)\"}\n\nx = '\(unknown)'\n")
        try ws.write("repo/notes.md", "other vendor: \(foreign)\nbroken: \(TokenMaker.corrupt(live.token))\n")
        try ws.write("repo/image.bin", bytes: [0x89, 0x50, 0x4E, 0x47, 0x00] + Array(live.token.utf8))
        try ws.write("repo/.git/config", "\(live.token)\n")
        let repo = ws.path("repo")
        let usesBefore = try ws.run(["token", "show", live.id, "--json"]).object()["use_count"] as? Int

        // Without a database: any prefix, no liveness; exit 0.
        let offline = try Console.run(["scan", repo])
        XCTAssertExit(offline, 0)
        XCTAssertTrue(offline.out.contains("\(repo)/config/.env:2: \(live.token.prefix(9))…"), offline.out)
        XCTAssertTrue(offline.out.contains("\(repo)/src/client.py:1: \(revoked.token.prefix(9))…"), offline.out)
        XCTAssertTrue(offline.out.contains("\(repo)/src/client.py:3:"), offline.out)
        XCTAssertTrue(offline.out.contains("\(repo)/notes.md:1: \(foreign.prefix(9))…"), offline.out)
        XCTAssertEqual(offline.out.split(separator: "\n").count, 4, offline.out)   // not the binary, .git or the bad checksum
        for secret in [live.token, revoked.token, foreign, unknown] {
            XCTAssertFalse(offline.out.contains(secret) || offline.err.contains(secret), "a whole secret was printed")
        }
        XCTAssertTrue(offline.err.contains("skipped 1 binary"), offline.err)

        // With the database: its prefix only, liveness; exit 1 because one is live.
        let online = try ws.run(["scan", repo])
        XCTAssertExit(online, 1)
        let lines = online.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, online.out)
        XCTAssertTrue(lines.contains { $0.contains(".env:2:") && $0.contains("LIVE") && $0.contains(live.id) && $0.contains("service") }, online.out)
        XCTAssertTrue(lines.contains { $0.contains("client.py:1:") && $0.contains("not live: revoked") && $0.contains("owner alice") }, online.out)
        XCTAssertTrue(lines.contains { $0.contains("client.py:3:") && $0.contains("unknown to this database") }, online.out)

        // JSON, parsed back.
        let json = try ws.run(["scan", repo, "--json"])
        XCTAssertExit(json, 1)
        let findings = (json.object()["findings"] as? [[String: Any]]) ?? []
        XCTAssertEqual(findings.count, 3)
        let liveFinding = findings.first { $0["live"] as? Bool == true }
        XCTAssertEqual(liveFinding?["token_id"] as? String, live.id)
        XCTAssertEqual(liveFinding?["line"] as? Int, 2)
        XCTAssertEqual(liveFinding?["hint"] as? String, String(live.token.prefix(9)))
        XCTAssertEqual(json.object()["live_tokens"] as? Int, 1)

        // Standard input.
        let piped = try ws.run(["scan", "-"], stdin: "log line\nleaked \(live.token) here\n")
        XCTAssertExit(piped, 1)
        XCTAssertTrue(piped.out.contains("<stdin>:2:"), piped.out)

        // Looking tokens up is not a use.
        XCTAssertEqual(try ws.run(["token", "show", live.id, "--json"]).object()["use_count"] as? Int, usesBefore)

        // --revoke: revokes the live one, audited as "leaked"; then nothing live is left.
        let revoking = try ws.run(["scan", repo, "--revoke"])
        XCTAssertExit(revoking, 1)
        XCTAssertTrue(revoking.out.contains("revoked now"), revoking.out)
        XCTAssertExit(try verify(ws, live.token), 13)
        let audit = try ws.run(["audit", "--token", live.id, "--event", "token.revoked", "--json"]).array()
        XCTAssertEqual((audit.first?["detail"] as? [String: Any])?["reason"] as? String, "leaked")
        XCTAssertExit(try ws.run(["scan", repo]), 0)
        XCTAssertFails(try Console.run(["scan", repo, "--revoke"]), 2, "--revoke needs a database")
        XCTAssertFails(try Console.run(["scan", ws.path("nothing-here")]), 7, "cannot scan")
    }
}
