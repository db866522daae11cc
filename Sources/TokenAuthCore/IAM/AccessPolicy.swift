/// Who performs a management call: the trusted host, or an active member.
enum Actor: Sendable {
    case host
    case member(Member)

    static let hostName = "system"

    var auditName: String {
        switch self {
        case .host: Self.hostName
        case .member(let member): member.id
        }
    }
}

/// The IAM rules of the contract over tokens: who sees a token, and who may do what with it.
struct AccessPolicy {
    let actor: Actor
    let catalog: ScopeCatalog

    /// ListAccessTokens sees every token; ManageServiceAccessTokens every service token; every member
    /// sees its own personal tokens; the host sees everything.
    func canSee(_ token: TokenRecord) -> Bool {
        guard case .member(let member) = actor else { return true }
        if member.holds(.listAccessTokens, in: catalog) { return true }
        switch token.kind {
        case .service: return member.holds(.manageServiceAccessTokens, in: catalog)
        case .personal: return token.isOwned(by: member.id)
        }
    }

    enum Operation { case rename, setActive, revoke, delete, rotate, readStats }

    /// Whether the actor may perform `operation` on a token it can see; the reason if not.
    func refusal(_ operation: Operation, on token: TokenRecord) -> String? {
        guard case .member(let member) = actor else {
            if operation == .rotate, token.kind == .personal {
                return "the host cannot rotate a personal token: only its owner may obtain its secret"
            }
            return nil
        }
        if operation == .readStats { return nil }
        switch token.kind {
        case .service:
            guard member.holds(.manageServiceAccessTokens, in: catalog) else {
                return "managing service tokens needs ManageServiceAccessTokens"
            }
            if operation == .rotate {
                let cover = member.cover(in: catalog)
                if let lacking = token.grants.first(where: { !cover.covers($0) }) {
                    return "rotating this service token needs every grant it has; the actor lacks \(lacking.text)"
                }
            }
            return nil
        case .personal:
            let owns = token.isOwned(by: member.id)
            if operation == .rotate {
                guard owns else { return "only the owner may rotate a personal token" }
            } else if !owns, member.isAdmin(in: catalog) {
                return nil
            } else if !owns {
                return "only the owner or an admin may manage this personal token"
            }
            guard member.holds(.managePersonalAccessTokens, in: catalog) else {
                return "managing personal tokens needs ManagePersonalAccessTokens"
            }
            return nil
        }
    }

    /// Whether the actor may create a token of `kind` with `grants`; the reason if not. Each grant
    /// must be covered by one the actor holds (least privilege, `GrantCover.covers`).
    func creationRefusal(kind: TokenKind, grants: [Grant]) -> String? {
        guard case .member(let member) = actor else { return nil }
        let action: IAMAction = kind == .personal ? .managePersonalAccessTokens : .manageServiceAccessTokens
        guard member.holds(action, in: catalog) else { return "creating a \(kind.word) token needs \(action.rawValue)" }
        let cover = member.cover(in: catalog)
        if let lacking = grants.first(where: { !cover.covers($0) }) {
            return lacking.pattern == nil ? "the actor does not hold scope \(lacking.scope), so it cannot grant it"
                : "the actor does not hold \(lacking.scope) on every resource \(lacking.pattern ?? "") covers, so it cannot grant \(lacking.text)"
        }
        return nil
    }

    var isAdmin: Bool {
        guard case .member(let member) = actor else { return true }
        return member.isAdmin(in: catalog)
    }
}
