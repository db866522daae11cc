#if Console
import HTTPTypes
import Hummingbird
import TokenAuthCore

/// The row actions: rename, activate, deactivate, revoke, rotate, delete. Each GET shows a form or a
/// confirmation (nothing changes on GET); each POST asks the core, which decides as the member
/// signed in — an action the page did not offer is refused there all the same.
extension ConsolePages {
    private static let graceChoices = [("0", "No grace: stop now"), ("600000", "10 minutes"), ("3600000", "1 hour"),
                                       ("86400000", "1 day"), ("604800000", "7 days")]

    /// The confirmations, in the product documents' words.
    private static let confirmations: [String: Confirmation] = [
        "deactivate": Confirmation(heading: "Deactivate this token?", button: "Deactivate token", danger: false,
                                   consequence: "A token can be used only when its status is active. Once deactivated, API calls made with this token return a Forbidden response until it is activated again."),
        "revoke": Confirmation(heading: "Revoke this token?", button: "Revoke token", danger: true,
                               consequence: "Revocation is immediate: all requests using this token will fail, in every gateway, and it can never be activated again."),
        "delete": Confirmation(heading: "Delete this token?", button: "Delete token", danger: true,
                               consequence: "This cannot be undone. The token can never be restored and it can never be used any more. Its audit entries stay."),
    ]

    func renameForm(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let (rights, token) = try visibleToken(context)
        return pages.page("token_rename", RenameModel(id: token.id, name: token.name, csrf: context.session?.csrfToken ?? "", problem: nil),
                          frame: frame(context, rights, title: "Rename token", current: "/tokens"))
    }

    func rename(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let id = try tokenID(context)
        do {
            try store.renameToken(actor: context.member, tokenID: id, name: context.form["name"] ?? "")
        } catch let failure as TokenAuthError where failure.status == .invalidArgument {
            let (rights, token) = try visibleToken(context)
            return pages.page("token_rename", RenameModel(id: id, name: context.form["name"] ?? token.name,
                                                          csrf: context.session?.csrfToken ?? "", problem: failure.message),
                              frame: frame(context, rights, title: "Rename token", current: "/tokens"), status: .badRequest)
        }
        audit(context, "token renamed", token: id)
        return redirect(context, to: "/tokens/\(id)", notice: "Token renamed.")
    }

    func confirm(_ action: String) -> @Sendable (Request, ConsoleContext) async throws -> Response {
        { _, context in
            let (rights, token) = try visibleToken(context)
            guard let confirmation = Self.confirmations[action] else { throw HTTPError(.notFound) }
            let model = ConfirmModel(id: token.id, name: token.name, action: action, heading: confirmation.heading,
                                     consequence: confirmation.consequence, button: confirmation.button,
                                     danger: confirmation.danger, csrf: context.session?.csrfToken ?? "")
            return pages.page("token_confirm", model, frame: frame(context, rights, title: confirmation.heading, current: "/tokens"))
        }
    }

    func activate(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let id = try tokenID(context)
        try store.setTokenActive(actor: context.member, tokenID: id, active: true)
        audit(context, "token activated", token: id)
        return redirect(context, to: "/tokens/\(id)", notice: "Token activated.")
    }

    func deactivate(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let id = try tokenID(context)
        try store.setTokenActive(actor: context.member, tokenID: id, active: false)
        audit(context, "token deactivated", token: id)
        return redirect(context, to: "/tokens/\(id)", notice: "Token deactivated. Requests with it are refused until it is activated again.")
    }

    func revoke(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let id = try tokenID(context)
        try store.revokeToken(actor: context.member, tokenID: id)
        audit(context, "token revoked", token: id)
        return redirect(context, to: "/tokens/\(id)", notice: "Token revoked. Every request with it now fails.")
    }

    func delete(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let id = try tokenID(context)
        try store.deleteToken(actor: context.member, tokenID: id)
        audit(context, "token deleted", token: id)
        return redirect(context, to: "/tokens", notice: "Token \(id) deleted.")
    }

    func rotateForm(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let (rights, token) = try visibleToken(context)
        let model = RotateModel(id: token.id, name: token.name, csrf: context.session?.csrfToken ?? "",
                                formID: context.session.map { sessions.openForm(for: $0.id) } ?? "",
                                graces: Self.choices(Self.graceChoices, "3600000"))
        return pages.page("token_rotate", model, frame: frame(context, rights, title: "Rotate token", current: "/tokens"))
    }

    func rotate(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let id = try tokenID(context)
        let rights = try rights(context)
        guard let session = context.session, sessions.spendForm(context.form["form_id"] ?? "", for: session.id) else {
            return redirect(context, to: "/tokens/\(id)", notice: "That form was already submitted. A new secret is shown only once, on the page that made it.")
        }
        guard let grace = Int64(context.form["grace"] ?? ""), grace >= 0 else {
            throw TokenAuthError(.invalidArgument, "choose how long the old token keeps working")
        }
        let name = try CoreJSON.decode(TokenJSON.self, store.getToken(actor: context.member, tokenID: id)).name
        var issued = try store.rotateToken(actor: context.member, tokenID: id, graceMS: grace)
        defer { TokenStore.wipe(&issued.secret) }
        audit(context, "token rotated", token: id)
        let note = grace == 0 ? "The old token \(id) has stopped working."
            : "The old token \(id) keeps working for \(TimeText.span(grace)), then stops."
        let model = SecretModel(heading: "Token rotated", name: name, id: issued.id, secret: String(decoding: issued.secret, as: UTF8.self),
                                grants: grants(of: issued.id, context), note: note)
        return pages.page("token_secret", model, frame: frame(context, rights, title: "Token rotated", current: "/tokens"))
    }

    /// The token id of the path.
    func tokenID(_ context: ConsoleContext) throws -> String {
        guard let id = context.parameters.get("id") else { throw HTTPError(.notFound) }
        return id
    }

    /// The member's rights and the path's token, if the member may see it (else the core's 404).
    func visibleToken(_ context: ConsoleContext) throws -> (RightsJSON, TokenJSON) {
        let rights = try rights(context)
        return (rights, try CoreJSON.decode(TokenJSON.self, store.getToken(actor: context.member, tokenID: tokenID(context))))
    }
}

private struct Confirmation {
    let heading: String
    let button: String
    let danger: Bool
    let consequence: String
}

private struct ConfirmModel {
    let id: String
    let name: String
    let action: String
    let heading: String
    let consequence: String
    let button: String
    let danger: Bool
    let csrf: String
}

private struct RenameModel {
    let id: String
    let name: String
    let csrf: String
    let problem: String?
}

private struct RotateModel {
    let id: String
    let name: String
    let csrf: String
    let formID: String
    let graces: [Choice]
}
#endif
