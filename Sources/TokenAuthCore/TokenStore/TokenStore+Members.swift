/// The scope catalog and the members, as the host application describes them. Only the host calls
/// these (they take no actor); each is one durable transaction, audited with actor "system".
extension TokenStore {
    static let maximumDescriptionBytes = 1000

    public func defineScope(_ scope: String, implies: String?, description: String?) throws {
        let name = try Validate.scopeName(scope)
        let implied = try implies.map { try Validate.scopeList($0, "implies") } ?? []
        if let description, description.utf8.count > Self.maximumDescriptionBytes {
            throw TokenAuthError.invalid("description is longer than \(Self.maximumDescriptionBytes) bytes")
        }
        let now = clock.nowMS
        // NULL keeps the current description, "" clears it.
        let newDescription: String??
        if let description { newDescription = .some(description.isEmpty ? nil : description) } else { newDescription = .none }
        try backend.write(.full) { writer in
            let catalog = try writer.catalog().defining(name, implies: implied, description: newDescription)
            guard let definition = catalog.definitions[name] else { throw TokenAuthError.internal("scope vanished") }
            try writer.putScope(name, definition)
            try writer.appendAudit(AuditRecord(at: now, event: "scope.defined", actor: Actor.hostName, tokenID: nil, memberID: nil,
                                               detail: .object([("scope", .string(name)), ("implies", .strings(definition.implies)),
                                                                ("description", .optional(definition.description))])))
        }
    }

    public func listScopes() throws -> String {
        let catalog = try backend.read { try $0.catalog() }
        return JSON.array(catalog.names.map { Self.scopeJSON($0, catalog) }).encoded()
    }

    /// One catalog entry: {"scope", "implies", "description"}.
    /// A catalog entry as JSON; `text` (a grant of the scope, `scope@pattern`) replaces its name.
    static func scopeJSON(_ name: String, _ catalog: ScopeCatalog, as text: String? = nil) -> JSON {
        let definition = catalog.definitions[name]
        return .object([("scope", .string(text ?? name)), ("implies", .strings((definition?.implies ?? []).sorted())),
                        ("description", .optional(definition?.description))])
    }

    public func putMember(_ id: String, permissions: String) throws {
        let memberID = try Validate.memberID(id)
        let now = clock.nowMS
        try backend.write(.full) { writer in
            let parsed = try Member.parsePermissions(permissions, catalog: try catalog(in: writer))
            let active = try writer.member(memberID)?.active ?? true
            try writer.putMember(Member(id: memberID, active: active, permissions: parsed))
            try writer.appendAudit(AuditRecord(at: now, event: "member.put", actor: Actor.hostName, tokenID: nil,
                                               memberID: memberID, detail: .object([("permissions", .strings(parsed))])))
        }
    }

    public func setMemberActive(_ id: String, active: Bool) throws {
        let memberID = try Validate.memberID(id)
        let now = clock.nowMS
        try backend.write(.full) { writer in
            guard var member = try writer.member(memberID) else { throw Self.noSuchMember(memberID) }
            member.active = active
            try writer.putMember(member)
            try writer.appendAudit(AuditRecord(at: now, event: active ? "member.activated" : "member.deactivated",
                                               actor: Actor.hostName, tokenID: nil, memberID: memberID, detail: .object([])))
        }
    }

    /// Removes a member: their personal tokens are revoked for good and belong to no one from then on.
    public func removeMember(_ id: String) throws {
        let memberID = try Validate.memberID(id)
        let now = clock.nowMS
        try backend.write(.full) { writer in
            guard try writer.member(memberID) != nil else { throw Self.noSuchMember(memberID) }
            try writer.deleteMember(memberID)
            let revoked = try writer.disownPersonalTokens(owner: memberID, at: now)
            try writer.appendAudit(AuditRecord(at: now, event: "member.removed", actor: Actor.hostName, tokenID: nil,
                                               memberID: memberID, detail: .object([("revoked_tokens", .int(Int64(revoked)))])))
        }
    }

    public func listMembers() throws -> String {
        let members = try backend.read { try $0.members() }
        return JSON.array(members.map(Self.memberJSON)).encoded()
    }

    /// One member: {"id", "active", "permissions"}.
    static func memberJSON(_ member: Member) -> JSON {
        .object([("id", .string(member.id)), ("active", .bool(member.active)), ("permissions", .strings(member.permissions))])
    }

    private static func noSuchMember(_ id: String) -> TokenAuthError {
        TokenAuthError(.notFound, "no member with id \"\(id)\"")
    }
}
