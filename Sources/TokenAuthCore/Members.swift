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
    /// Catalog scopes and IAM action names, sorted, without duplicates.
    public var permissions: [String]

    /// The scopes this member holds now, implications expanded with `catalog`.
    func cover(in catalog: ScopeCatalog) -> Set<String> {
        catalog.expand(permissions.filter { IAMAction(rawValue: $0) == nil })
    }

    func holds(_ action: IAMAction, in catalog: ScopeCatalog) -> Bool {
        permissions.contains(action.rawValue) || cover(in: catalog).contains(ScopeCatalog.admin)
    }

    func isAdmin(in catalog: ScopeCatalog) -> Bool { cover(in: catalog).contains(ScopeCatalog.admin) }

    /// Parses a permission list: IAM actions as they are, anything else must be a catalog scope.
    static func parsePermissions(_ text: String, catalog: ScopeCatalog) throws -> [String] {
        var result = Set<String>()
        for word in text.split(separator: " ").map(String.init) {
            if IAMAction(rawValue: word) != nil {
                result.insert(word)
                continue
            }
            let scope = try Validate.scopeName(word, "permission")
            guard catalog.contains(scope) else {
                throw TokenAuthError(.unknownScope, "permission \"\(scope)\" is neither a catalog scope nor an IAM action (ListAccessTokens, ManagePersonalAccessTokens, ManageServiceAccessTokens)")
            }
            result.insert(scope)
        }
        return result.sorted()
    }
}
