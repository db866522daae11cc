#if Console
import HTTPTypes
import Hummingbird

/// Cross-site request forgery, refused three ways on every request that is not GET or HEAD:
/// `Sec-Fetch-Site: cross-site` (a browser saying another site sent it), an `Origin` that is not
/// this console, and a form without this session's synchronizer token. Also decodes the form.
/// `requireToken: false` serves the sign-in form, which has no session yet (its code is the secret).
struct CSRFMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext
    let allowlist: LazyAllowlist
    let pages: PageRenderer
    var requireToken = true

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head else { return try await next(request, context) }
        if request.headers[HTTPField.Name("Sec-Fetch-Site")!] == "cross-site" {
            return pages.plainError(.forbidden, "Refused: this request came from another site.")
        }
        if let origin = request.headers[.origin], !allowlist.allows(Self.authority(ofOrigin: origin)) {
            return pages.plainError(.forbidden, "Refused: this request came from another origin.")
        }
        var request = request
        var context = context
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        context.form = FormFields(encoded: Substring(String(buffer: body)))
        if requireToken {
            guard let sent = context.form["csrf"], let session = context.session,
                  Secrets.constantTimeEqual(sent, session.csrfToken) else {
                return pages.plainError(.forbidden, "Refused: the form is out of date or did not come from this console. Go back, reload the page and try again.")
            }
        }
        return try await next(request, context)
    }

    /// "http://host:port" → "host:port"; nil for "null" or anything without a scheme.
    static func authority(ofOrigin origin: String) -> String? {
        guard let range = origin.range(of: "://") else { return nil }
        return String(origin[range.upperBound...])
    }
}
#endif
