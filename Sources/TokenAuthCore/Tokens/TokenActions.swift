/// The management actions a console offers on one token: each is offered exactly when IAM allows
/// the actor to take it (`AccessPolicy.refusal`) and the token's state permits it
/// (`TokenState.conflict`), the two checks the management calls themselves make.
enum TokenAction: String, CaseIterable {
    case rename, activate, deactivate, revoke, rotate, delete

    var operation: AccessPolicy.Operation {
        switch self {
        case .rename: .rename
        case .activate, .deactivate: .setActive
        case .revoke: .revoke
        case .rotate: .rotate
        case .delete: .delete
        }
    }
}

extension TokenState {
    /// Why the token's state forbids `operation` (`TA_CONFLICT`), or nil. `activating` tells
    /// activation from deactivation.
    static func conflict(_ operation: AccessPolicy.Operation, on token: TokenRecord, activating: Bool = false,
                         now: Int64) -> String? {
        let revoked = status(of: token, owner: nil, now: now) == .revoked
        switch operation {
        case .setActive where activating && revoked: return "a revoked token cannot be activated again"
        case .rotate where revoked: return "a revoked token cannot be rotated"
        case .rotate where token.rotatedTo != nil: return "this token was already rotated"
        default: return nil
        }
    }
}

extension AccessPolicy {
    /// The actions worth offering on a token the actor can see: allowed by IAM and by its state, and
    /// not pointless (activating an active token, deactivating or revoking a revoked one).
    func actions(on token: TokenRecord, now: Int64) -> [TokenAction] {
        let revoked = TokenState.status(of: token, owner: nil, now: now) == .revoked
        return TokenAction.allCases.filter { action in
            guard refusal(action.operation, on: token) == nil,
                  TokenState.conflict(action.operation, on: token, activating: action == .activate, now: now) == nil
            else { return false }
            switch action {
            case .activate: return !token.active
            case .deactivate: return token.active && !revoked
            case .revoke: return !revoked
            case .rename, .rotate, .delete: return true
            }
        }
    }
}
