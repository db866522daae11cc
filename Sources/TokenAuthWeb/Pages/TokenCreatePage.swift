#if Console
import HTTPTypes
import Hummingbird
import TokenAuthCore

/// GET /tokens/new and POST /tokens: the create form, and the one page that ever shows the secret.
extension ConsolePages {
    private static let expiryChoices = [("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("custom", "Custom date"), ("never", "Never")]
    private static let windowChoices = [("1000", "second"), ("60000", "minute"), ("3600000", "hour"), ("86400000", "day")]

    func newTokenForm(_ request: Request, _ context: ConsoleContext) throws -> Response {
        try createForm(context, rights: rights(context), input: FormFields(), problem: nil, status: .ok)
    }

    func createToken(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let rights = try rights(context)
        let form = context.form
        guard let session = context.session, sessions.spendForm(form["form_id"] ?? "", for: session.id) else {
            return redirect(context, to: "/tokens", notice: "That form was already submitted. A token's secret is shown only once, on the page that created it.")
        }
        let now = TimeText.nowMS()
        do {
            let spec = try Self.spec(form, now: now)
            var issued = try store.createToken(actor: context.member, spec: spec)
            defer { TokenStore.wipe(&issued.secret) }
            audit(context, "token created", token: issued.id)
            let model = SecretModel(heading: "Token created", name: spec.name, id: issued.id,
                                    secret: String(decoding: issued.secret, as: UTF8.self),
                                    grants: grants(of: issued.id, context), note: nil)
            return pages.page("token_secret", model, frame: frame(context, rights, title: "Token created", current: "/tokens"))
        } catch let failure as TokenAuthError {
            return try createForm(context, rights: rights, input: form, problem: failure.message,
                                  status: HTTPResponse.Status(code: failure.status.httpStatus))
        }
    }

    /// The token a filled form asks for; the core checks everything else (and IAM).
    private static func spec(_ form: FormFields, now: Int64) throws -> TokenSpec {
        let kind: TokenKind = form["kind"] == "service" ? .service : .personal
        let scopes = [try GrantFields(form).grants(), form["scopes_text"] ?? ""].joined(separator: " ")
        var expiresAt: Int64 = 0
        switch form["expires"] ?? "30" {
        case "never": expiresAt = 0
        case "custom":
            guard let date = form.trimmed("expires_on").flatMap(TimeText.parse) else {
                throw TokenAuthError(.invalidArgument, "choose a custom expiration date (YYYY-MM-DD), or another expiration")
            }
            expiresAt = date
        case let days:
            guard let count = Int64(days), [7, 30, 90].contains(count) else { throw TokenAuthError(.invalidArgument, "unknown expiration") }
            expiresAt = now + count * UTCDay.millisecondsPerDay
        }
        var rate: UInt32 = 0
        var window: UInt32 = 0
        if let text = form.trimmed("rate") {
            guard let value = UInt32(text), value > 0 else {
                throw TokenAuthError(.invalidArgument, "the rate limit is a whole number of requests, at least 1")
            }
            rate = value
            window = UInt32(form["rate_window"] ?? "") ?? 60_000
        }
        return TokenSpec(name: form["name"] ?? "", kind: kind, scopes: scopes, expiresAtMS: expiresAt, rateLimit: rate, rateWindowMS: window)
    }

    /// A new token's grants as the core wrote them, for the page that shows its secret. That page must
    /// show the secret whatever happens, so a failure here shows no grants rather than an error.
    func grants(of tokenID: String, _ context: ConsoleContext) -> [String] {
        (try? CoreJSON.decode(TokenJSON.self, store.getToken(actor: context.member, tokenID: tokenID)))?.scopes ?? []
    }

    private func createForm(_ context: ConsoleContext, rights: RightsJSON, input: FormFields, problem: String?,
                            status: HTTPResponse.Status) throws -> Response {
        guard !rights.create.isEmpty else {
            throw TokenAuthError(.permissionDenied, "you may not create tokens: that needs ManagePersonalAccessTokens or ManageServiceAccessTokens")
        }
        let typed = GrantFields(input)
        let kind = input["kind"] ?? rights.create.first ?? "personal"
        let kindHelp = [
            "personal": ("Personal", "Linked to your account: it can never do more than you can, now or later, and stops working if you are deactivated."),
            "service": ("Service", "Independent of your account: its scopes are fixed when it is created. For long-lived integrations."),
        ]
        let model = CreateModel(
            csrf: context.session?.csrfToken ?? "", formID: context.session.map { sessions.openForm(for: $0.id) } ?? "",
            problem: problem, name: input["name"] ?? "",
            kinds: rights.create.map { word in
                CreateModel.Kind(value: word, label: kindHelp[word]?.0 ?? word, help: kindHelp[word]?.1 ?? "", checked: word == kind)
            },
            scopes: rights.grantableScopes.enumerated().map { index, scope in
                CreateModel.Scope(index: index, scope: scope.scope, description: scope.description,
                                  checked: typed.ticked.contains(scope.scope), limit: typed.limits[scope.scope] ?? "",
                                  held: GrantFields.pattern(of: scope.scope).map(String.init) ?? "every resource")
            },
            scopesText: input["scopes_text"] ?? "",
            expiries: Self.choices(Self.expiryChoices, input["expires"] ?? "30"), expiresOn: input["expires_on"] ?? "",
            rate: input["rate"] ?? "", windows: Self.choices(Self.windowChoices, input["rate_window"] ?? "60000"))
        return pages.page("token_new", model, frame: frame(context, rights, title: "Add access token", current: "/tokens"), status: status)
    }
}

/// The page that shows a new secret once (creation and rotation), with the token's grants as the
/// core wrote them.
struct SecretModel {
    let heading: String
    let name: String
    let id: String
    let secret: String
    let grants: [String]
    let note: String?
}

private struct CreateModel {
    struct Kind {
        let value: String
        let label: String
        let help: String
        let checked: Bool
    }

    /// One offered grant: a scope the member holds on every resource, or on a pattern only.
    struct Scope {
        let index: Int
        let scope: String
        let description: String?
        let checked: Bool
        /// The pattern typed in its "Only on" field.
        let limit: String
        /// What an empty pattern grants it on: "every resource", or the pattern the member holds it on.
        let held: String
    }

    let csrf: String
    let formID: String
    let problem: String?
    let name: String
    let kinds: [Kind]
    let scopes: [Scope]
    let scopesText: String
    let expiries: [Choice]
    let expiresOn: String
    let rate: String
    let windows: [Choice]
}
#endif
