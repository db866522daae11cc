import ArgumentParser
import TokenAuthCore

/// `tokenauth member …`: the members, as the host application describes them. These are host
/// operations (the library takes no actor for them), so they do not accept --as.
struct MemberCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member",
        abstract: "Create, update, deactivate, activate, remove and list members.",
        subcommands: [Put.self, Activate.self, Deactivate.self, Remove.self, List.self])

    struct Put: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a member or replace its permissions.",
            discussion: """
                Permissions are catalog scopes and the IAM actions ListAccessTokens, \
                ManagePersonalAccessTokens and ManageServiceAccessTokens, space-separated ("" for none). \
                A scope may be limited to the resources a pattern covers, SCOPE@PATTERN \
                (tickets:write@project/42; * is any one segment): the member then holds it, and may \
                grant it, there only. IAM actions take no pattern.
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The member id (1..63 of A-Z a-z 0-9 . _ @ : -).") var id: String
        @Option(help: ArgumentHelp("Space-separated scopes (SCOPE or SCOPE@PATTERN) and IAM actions.", valueName: "list")) var permissions: String

        func run() throws {
            try store.withStore(creating: true) { store in
                try store.putMember(id, permissions: permissions)
            }
            print("Member \(id) now has: \(permissions.split(separator: " ").joined(separator: " ").ifEmpty("no permissions"))")
        }
    }

    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Activate a member again: their personal tokens work again.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The member id.") var id: String

        func run() throws {
            try store.withStore(creating: false) { try $0.setMemberActive(id, active: true) }
            print("Member \(id) is active.")
        }
    }

    struct Deactivate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deactivate a member: their personal tokens fail with TA_OWNER_INACTIVE until activated again.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The member id.") var id: String

        func run() throws {
            try store.withStore(creating: false) { try $0.setMemberActive(id, active: false) }
            print("Member \(id) is deactivated.")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a member: their personal tokens are revoked for good.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var confirm: ConfirmOptions
        @Argument(help: "The member id.") var id: String

        func run() throws {
            try store.withStore(creating: false) { store in
                guard Terminal.confirm("Remove member \(id)? Their personal tokens will be revoked for good.",
                                       assumeYes: confirm.yes) else {
                    throw CLIFailure(Exit.cancelled, "cancelled: member \(id) was not removed")
                }
                try store.removeMember(id)
            }
            print("Member \(id) is removed; their personal tokens are revoked.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the members.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let json = try store.withStore(creating: false) { try $0.listMembers() }
            if output.json { return print(json) }
            let members = try JSONValue.objects(json)
            guard !members.isEmpty else { return print("No members.") }
            print(Format.table(["MEMBER", "ACTIVE", "PERMISSIONS"], members.map { member in
                [JSONValue.string(member["id"]) ?? "?", JSONValue.bool(member["active"]) == true ? "yes" : "no",
                 JSONValue.strings(member["permissions"]).joined(separator: " ").ifEmpty("-")]
            }))
        }
    }
}

/// `tokenauth scope …`: the scope catalog (host operations).
struct ScopeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scope",
        abstract: "Define and list the scopes of the catalog.",
        subcommands: [Define.self, List.self])

    struct Define: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a scope to the catalog, or replace its implications and description.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The scope name (1..63 of a-z 0-9 : . _ -).") var name: String
        @Option(help: ArgumentHelp("Space-separated existing scopes this one implies.", valueName: "list")) var implies: String?
        @Option(help: ArgumentHelp("What the scope allows (\"\" clears it; omitted keeps it).", valueName: "text"))
        var description: String?

        func run() throws {
            try store.withStore(creating: true) { try $0.defineScope(name, implies: implies, description: description) }
            print("Scope \(name) is defined.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the scope catalog.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let json = try store.withStore(creating: false) { try $0.listScopes() }
            if output.json { return print(json) }
            let scopes = try JSONValue.objects(json)
            print(Format.table(["SCOPE", "IMPLIES", "DESCRIPTION"], scopes.map { scope in
                [JSONValue.string(scope["scope"]) ?? "?", JSONValue.strings(scope["implies"]).joined(separator: " ").ifEmpty("-"),
                 JSONValue.string(scope["description"]) ?? "-"]
            }))
        }
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
