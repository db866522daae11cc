#if Console
import HTTPTypes
import Hummingbird
import TokenAuthCore

/// GET /members and GET /catalog: the host application's members (those the member may see) and
/// the scope catalog.
extension ConsolePages {
    private static let iamActions: Set<String> = ["ListAccessTokens", "ManagePersonalAccessTokens", "ManageServiceAccessTokens"]

    func members(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let rights = try rights(context)
        let members = try CoreJSON.decode([MemberJSON].self, store.listMembers(actor: context.member))
        let model = MembersModel(allMembers: rights.allMembers, members: members.map { member in
            MembersModel.Row(id: member.id, active: member.active ? "yes" : "no",
                             actions: member.permissions.filter(Self.iamActions.contains),
                             scopes: member.permissions.filter { !Self.iamActions.contains($0) })
        })
        return pages.page("members", model, frame: frame(context, rights, title: "Members", current: "/members"))
    }

    func catalog(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let rights = try rights(context)
        let scopes = try CoreJSON.decode([ScopeJSON].self, store.listScopes())
        return pages.page("catalog", CatalogModel(scopes: scopes), frame: frame(context, rights, title: "Scopes", current: "/catalog"))
    }
}

private struct MembersModel {
    struct Row {
        let id: String
        let active: String
        let actions: [String]
        let scopes: [String]
    }

    let allMembers: Bool
    let members: [Row]
}

private struct CatalogModel {
    let scopes: [ScopeJSON]
}
#endif
