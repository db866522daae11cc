import ArgumentParser
import TokenAuthCore

/// `tokenauth token …`: create, list, show, rename, activate, deactivate, revoke, delete, rotate.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and manage access tokens.",
        subcommands: [Create.self, List.self, Show.self, Rename.self, Activate.self, Deactivate.self,
                      Revoke.self, Delete.self, Rotate.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print its secret, once.",
            discussion: """
                A personal token belongs to the member given with --as and never does more than that \
                member can do now; a service token belongs to no one and keeps its scopes.

                Each grant in --scopes is a catalog SCOPE, on every resource, or SCOPE@PATTERN, only on \
                the resources the pattern covers: tickets:read@project/42 reads project 42 and everything \
                below it (project/42/tickets/7), nothing else. A pattern is '/'-separated segments of \
                A-Z a-z 0-9 . _ : - (at most 64 bytes each, 200 in all); a lone * is any one segment \
                (assets:write@site/*/rack/7). Quote the list in the shell. Every grant must be covered by \
                one the actor holds: tickets:read@project/42 by tickets:read (or a scope that implies \
                it) on every resource, or on a pattern that covers project/42. Gateways name the \
                resource each request touches (tokenauth verify --resource, ta_verify_resource); \
                without one, only grants on every resource count.
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "A name for people (1..200 bytes).") var name: String
        @Option(help: ArgumentHelp("The kind of token.", valueName: "kind")) var kind: KindArgument
        @Option(help: ArgumentHelp("Space-separated grants: SCOPE (every resource) or SCOPE@PATTERN (e.g. tickets:read@project/42).",
                                   valueName: "list")) var scopes: String
        @Option(help: ArgumentHelp("When it expires: a duration (30d, 12h) or a date (2027-01-31, UTC). Default: never.",
                                   valueName: "when"))
        var expires: String?
        @Option(name: .customLong("rate-limit"),
                help: ArgumentHelp("Requests per window: 100/min, 10/s, 1000/h. Default: the store's.", valueName: "rate"))
        var rateLimit: String?

        func run() throws {
            let now = Format.nowMS()
            let expiresAt = try expires.map { try Parse.future($0, now: now, what: "expiry") } ?? 0
            let rate = try rateLimit.map(Parse.rateLimit)
            let spec = TokenSpec(name: name, kind: kind.kind, scopes: scopes, expiresAtMS: expiresAt,
                                 rateLimit: rate?.limit ?? 0, rateWindowMS: rate?.windowMS ?? 0)
            var issued = try store.withStore(creating: true) { try $0.createToken(actor: actor.actor, spec: spec) }
            defer { TokenStore.wipe(&issued.secret) }
            SecretOutput.print(issued, json: output.json, headline: "Created \(kind.kind == .personal ? "personal" : "service") token \(issued.id) \"\(name)\".")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens this actor can see, newest first.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("Only personal or service tokens.", valueName: "kind")) var kind: KindArgument?
        @Option(help: ArgumentHelp("Only the personal tokens of this member.", valueName: "member")) var owner: String?
        @Option(help: ArgumentHelp("Only tokens in this state: active, inactive, revoked, expired, owner_inactive.",
                                   valueName: "status"))
        var status: String?

        func run() throws {
            var filters: [String] = []
            if let kind { filters.append("kind=\(kind.rawValue)") }
            if let owner { filters.append("owner=\(try word(owner, "--owner"))") }
            if let status { filters.append("status=\(try word(status, "--status"))") }
            let json = try store.withStore(creating: false) {
                try $0.listTokens(actor: actor.actor, query: filters.isEmpty ? nil : filters.joined(separator: " "))
            }
            if output.json { return print(json) }
            let tokens = try JSONValue.objects(json)
            guard !tokens.isEmpty else { return print("No tokens.") }
            let now = Format.nowMS()
            print(Format.table(
                ["ID", "NAME", "KIND", "OWNER", "SCOPES", "STATUS", "CREATED", "EXPIRES", "LAST USED", "USES"],
                tokens.map { token in
                    [JSONValue.string(token["id"]) ?? "?",
                     Format.truncate(JSONValue.string(token["name"]) ?? "", 32),
                     JSONValue.string(token["kind"]) ?? "?",
                     JSONValue.string(token["owner"]) ?? "-",
                     JSONValue.strings(token["scopes"]).joined(separator: " "),
                     JSONValue.string(token["status"]) ?? "?",
                     Format.relative(JSONValue.int(token["created_at"]), now: now),
                     Format.relative(JSONValue.int(token["expires_at"]), now: now),
                     Format.relative(JSONValue.int(token["last_used_at"]), now: now),
                     String(JSONValue.int(token["use_count"]) ?? 0)]
                }, rightAligned: [9]))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one token.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The token id (tok_…).") var id: String

        func run() throws {
            let json = try store.withStore(creating: false) { try $0.getToken(actor: actor.actor, tokenID: id) }
            if output.json { return print(json) }
            print(TokenText.details(try JSONValue.object(json), now: Format.nowMS()))
        }
    }

    struct Rename: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a token a new name.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @Argument(help: "The token id.") var id: String
        @Argument(help: "The new name.") var name: String

        func run() throws {
            try store.withStore(creating: false) { try $0.renameToken(actor: actor.actor, tokenID: id, name: name) }
            print("Renamed \(id) to \"\(name)\".")
        }
    }

    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Activate a deactivated token.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @Argument(help: "The token id.") var id: String

        func run() throws {
            try store.withStore(creating: false) { try $0.setTokenActive(actor: actor.actor, tokenID: id, active: true) }
            print("Activated \(id).")
        }
    }

    struct Deactivate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deactivate a token: it fails with TA_INACTIVE until activated again.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @Argument(help: "The token id.") var id: String

        func run() throws {
            try store.withStore(creating: false) { try $0.setTokenActive(actor: actor.actor, tokenID: id, active: false) }
            print("Deactivated \(id).")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token at once and for good (asks first on a terminal).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var confirm: ConfirmOptions
        @Option(help: ArgumentHelp("Why, for the audit log.", valueName: "text")) var reason = "revoked"
        @Argument(help: "The token id.") var id: String

        func run() throws {
            try store.withStore(creating: false) { store in
                if !confirm.yes, Terminal.stdinIsTerminal {
                    let name = try TokenText.name(store, actor.actor, id)
                    guard Terminal.confirm("Revoke \(id) \"\(name)\"? Every request with it fails from now on; this cannot be undone.",
                                           assumeYes: false) else {
                        throw CLIFailure(Exit.cancelled, "cancelled: \(id) was not revoked")
                    }
                }
                try store.revokeToken(actor: actor.actor, tokenID: id, reason: reason)
            }
            print("Revoked \(id).")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a token's record; it can never be used again (asks first on a terminal).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var confirm: ConfirmOptions
        @Argument(help: "The token id.") var id: String

        func run() throws {
            try store.withStore(creating: false) { store in
                if !confirm.yes, Terminal.stdinIsTerminal {
                    let name = try TokenText.name(store, actor.actor, id)
                    guard Terminal.confirm("Delete \(id) \"\(name)\"? It stops working and disappears from listings (its audit entries stay).",
                                           assumeYes: false) else {
                        throw CLIFailure(Exit.cancelled, "cancelled: \(id) was not deleted")
                    }
                }
                try store.deleteToken(actor: actor.actor, tokenID: id)
            }
            print("Deleted \(id).")
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a successor with the same name, scopes and limits; the old token is revoked after the grace period.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("How long the old token keeps working: 10m, 1h, 0 (default: 0, at once).",
                                   valueName: "duration"))
        var grace: String?
        @Argument(help: "The token id.") var id: String

        func run() throws {
            let graceMS = try grace.map { try Parse.duration($0, what: "grace period") } ?? 0
            var issued = try store.withStore(creating: false) { try $0.rotateToken(actor: actor.actor, tokenID: id, graceMS: graceMS) }
            defer { TokenStore.wipe(&issued.secret) }
            let when = graceMS == 0 ? "is revoked now" : "keeps working for \(Format.span(graceMS))"
            SecretOutput.print(issued, json: output.json, headline: "Rotated \(id) to \(issued.id); the old token \(when).",
                               extra: [("rotated_from", id), ("grace_ms", String(graceMS))])
        }
    }
}

/// `--kind personal|service`.
enum KindArgument: String, ExpressibleByArgument, CaseIterable {
    case personal, service
    var kind: TokenKind { self == .personal ? .personal : .service }
}

/// A filter value must be one word: it becomes one `key=value` of the library's query.
private func word(_ value: String, _ option: String) throws -> String {
    guard !value.isEmpty, !value.contains(" ") else { throw CLIFailure.usage("\(option) takes one word") }
    return value
}

/// Printing a newly issued secret: once, with the warning, without making a String of it.
enum SecretOutput {
    static func print(_ issued: IssuedToken, json: Bool, headline: String, extra: [(String, String)] = []) {
        if json {
            var out = "{\"id\":\(JSONValue.quote(issued.id))"
            for (key, value) in extra {
                out += ",\(JSONValue.quote(key)):" + (Int64(value) != nil ? value : JSONValue.quote(value))
            }
            Terminal.write(out + ",\"token\":\"")
            Terminal.write(bytes: issued.secret)
            Terminal.write("\"}\n")
            return
        }
        Terminal.write("\(headline)\n\n    ")
        Terminal.write(bytes: issued.secret)
        Terminal.write("\n\nCopy this token now: it will not be shown again (only a hash of it is stored).\n")
        Terminal.write("Its id \(issued.id) names it in every other command and in the logs.\n")
    }
}

/// Text renderings of token JSON.
enum TokenText {
    static func name(_ store: TokenStore, _ actor: String?, _ id: String) throws -> String {
        JSONValue.string(try JSONValue.object(store.getToken(actor: actor, tokenID: id))["name"]) ?? ""
    }

    static func details(_ token: [String: Parsed], now: Int64) -> String {
        func time(_ key: String, none: String = "never") -> String {
            guard let ms = JSONValue.int(token[key]), ms != 0 else { return none }
            return "\(Format.timestamp(ms)) (\(Format.relative(ms, now: now)))"
        }
        var rate = "unlimited"
        if let limit = token["rate_limit"]?.objectValue, let count = JSONValue.int(limit["limit"]),
           let window = JSONValue.int(limit["window_ms"]) {
            rate = Parse.describeRate(limit: count, windowMS: window)
        }
        var revoked = "-"
        if JSONValue.int(token["revoked_at"]) != nil {
            // The status says whether the revocation happened; a time alone never does (a grace
            // period ends by each host's clock).
            revoked = JSONValue.string(token["status"]) == "revoked" ? time("revoked_at") : "scheduled \(time("revoked_at"))"
        }
        let rows: [(String, String)] = [
            ("id", JSONValue.string(token["id"]) ?? "?"),
            ("name", JSONValue.string(token["name"]) ?? ""),
            ("kind", JSONValue.string(token["kind"]) ?? "?"),
            ("owner", JSONValue.string(token["owner"]) ?? "-"),
            ("created by", JSONValue.string(token["created_by"]) ?? "-"),
            ("status", JSONValue.string(token["status"]) ?? "?"),
            ("scopes", JSONValue.strings(token["scopes"]).joined(separator: " ")),
            ("in force now", JSONValue.strings(token["effective_scopes"]).joined(separator: " ").ifEmpty("none")),
            ("hint", (JSONValue.string(token["hint"]) ?? "") + "…"),
            ("created", time("created_at")),
            ("expires", time("expires_at")),
            ("revoked", revoked),
            ("last used", time("last_used_at")),
            ("uses", "\(JSONValue.int(token["use_count"]) ?? 0) (denied: \(JSONValue.int(token["denied_count"]) ?? 0))"),
            ("rate limit", rate),
            ("rotated from", JSONValue.string(token["rotated_from"]) ?? "-"),
            ("rotated to", JSONValue.string(token["rotated_to"]) ?? "-"),
        ]
        let width = rows.map { $0.0.count }.max() ?? 0
        return rows.map { key, value in
            key + ":" + String(repeating: " ", count: width - key.count + 2) + value
        }.joined(separator: "\n")
    }
}
