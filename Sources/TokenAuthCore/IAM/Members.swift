/// The IAM actions over access tokens (FeatBit's names).
public enum IAMAction: String, Sendable, CaseIterable {
    case listAccessTokens = "ListAccessTokens"
    case managePersonalAccessTokens = "ManagePersonalAccessTokens"
    case manageServiceAccessTokens = "ManageServiceAccessTokens"
}

/// A member of the host application's team, as the host last described it.
public struct Member: Sendable, Equatable {
    public let id: String
    public var active: Bool
    /// Grants of catalog scopes (`tickets:read`, `tickets:read@project/42`) and IAM action names,
    /// sorted, without duplicates.
    public var permissions: [String]

    /// The member's grants (its permissions but the IAM actions), as stored: well-formed.
    var grants: [Grant] {
        permissions.filter { IAMAction(rawValue: $0) == nil }.compactMap { try? Grant.parse(Substring($0), "permission") }
    }

    /// What this member may do now, and where: its grants with implications expanded by `catalog`.
    func cover(in catalog: ScopeCatalog) -> GrantCover {
        GrantCover(expanding: grants, catalog: catalog)
    }

    /// IAM actions are not qualified: a member holds one by name, or by admin on every resource.
    func holds(_ action: IAMAction, in catalog: ScopeCatalog) -> Bool {
        permissions.contains(action.rawValue) || isAdmin(in: catalog)
    }

    func isAdmin(in catalog: ScopeCatalog) -> Bool { cover(in: catalog).isAdmin }

    /// Parses a permission list: IAM actions as they are; anything else is a grant (`scope` or
    /// `scope@pattern`) whose scope is in the catalog.
    static func parsePermissions(_ text: String, catalog: ScopeCatalog) throws -> [String] {
        var result = Set<String>()
        for word in text.split(separator: " ") {
            if IAMAction(rawValue: String(word)) != nil {
                result.insert(String(word))
                continue
            }
            if let at = word.firstIndex(of: "@"), IAMAction(rawValue: String(word[..<at])) != nil {
                throw TokenAuthError.invalid("permission \"\(Validate.printable(String(word)))\": IAM actions apply to every token and take no resource pattern")
            }
            let grant = try Grant.parse(word, "permission")
            guard catalog.contains(grant.scope) else {
                throw TokenAuthError(.unknownScope, "permission \"\(grant.scope)\" is neither a catalog scope nor an IAM action (ListAccessTokens, ManagePersonalAccessTokens, ManageServiceAccessTokens)")
            }
            result.insert(grant.text)
        }
        return result.sorted()
    }
}
