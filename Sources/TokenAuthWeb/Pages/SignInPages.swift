#if Console
import HTTPTypes
import Hummingbird
import Logging
import TokenAuthCore

/// GET /signin shows the sign-in button for a one-time code (or how to get in); POST /signin spends
/// the code and starts a session; POST /signout ends it.
struct SignInPages: Sendable {
    let store: TokenStore
    let pages: PageRenderer
    let sessions: SessionStore
    let codes: SignInCodes
    let cookie: SessionCookie
    let logger: Logger
    /// Prints the next sign-in link once a code has been spent.
    let announce: @Sendable (String) -> Void

    func form(_ request: Request, _ context: ConsoleContext) -> Response {
        let code = FormFields(encoded: Substring(request.uri.query ?? ""))["code"]
        return pages.page("signin", SignInModel(code: code), frame: .bare("Sign in"), status: code == nil ? .unauthorized : .ok)
    }

    func signIn(_ request: Request, _ context: ConsoleContext) throws -> Response {
        guard let member = context.form["code"].flatMap(codes.redeem) else {
            logger.notice("sign-in refused: unknown or spent code")
            return pages.plainError(.forbidden, "This sign-in link was already used, or is not one this console issued. Each link works once.")
        }
        announce(member)
        _ = try store.actorRights(actor: member)
        let session = sessions.start(member: member, fromTrustedHeader: false)
        logger.info("signed in with a one-time link", metadata: ["member": "\(member)"])
        var response = Response.redirect(to: "/tokens", type: .normal)
        response.headers.append(cookie.setting(session.id))
        return response
    }

    func signOut(_ request: Request, _ context: ConsoleContext) -> Response {
        if let session = context.session { sessions.end(session.id) }
        logger.info("signed out", metadata: ["member": "\(context.member)"])
        var response = pages.page("signin", SignInModel(code: nil), frame: .bare("Signed out"))
        response.headers.append(cookie.clearing())
        return response
    }
}

private struct SignInModel {
    let code: String?
}
#endif
