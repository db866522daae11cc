#if Console
import HTTPTypes
import Hummingbird
import TokenAuthCore

/// `/verify`: forward authentication for gateways that ask another server whether a request may pass
/// (nginx auth_request, Traefik forwardAuth, Caddy forward_auth, Envoy's HTTP ext_authz). Every
/// method is answered (nginx and Envoy send the client's), and so is every path under /verify
/// (Envoy appends the client's path). The verification is the library's own, and it counts as a use,
/// exactly as at a gateway that links the library.
struct ForwardAuth: Sendable {
    let store: TokenStore
    /// The methods answered: a gateway may send the client's own.
    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]
    static let requiredScopesHeader = HTTPField.Name("X-Required-Scopes")!
    static let resourceHeader = HTTPField.Name("X-Resource")!
    /// Always sent, so that a gateway that cannot relay a status (nginx turns a 429 into 500) can
    /// read it: nginx's `auth_request_set $ta_status $upstream_http_x_token_status;`.
    static let statusHeader = HTTPField.Name("X-Token-Status")!

    /// Required scopes: the `X-Required-Scopes` header, else the `scopes` query parameter. The
    /// resource the request touches: the `X-Resource` header, else the `resource` query parameter.
    /// The core judges both (an ill-formed resource is TA_INVALID_ARGUMENT, 400) and decides which
    /// grants count on the resource, or without one.
    func respond(_ request: Request) -> Response {
        let credential = request.headers[.authorization]
        let scopes = Self.gatewayValue(request, header: Self.requiredScopesHeader, query: "scopes")
        let resource = Self.gatewayValue(request, header: Self.resourceHeader, query: "resource")
        let verdict = Array((credential ?? "").utf8).withUnsafeBytes { credentialBytes in
            Array((scopes ?? "").utf8).withUnsafeBytes { scopeBytes in
                Array((resource ?? "").utf8).withUnsafeBytes { resourceBytes in
                    store.verify(credential: credential == nil ? nil : credentialBytes,
                                 requiredScopes: scopes == nil ? nil : scopeBytes,
                                 resource: resource == nil ? nil : resourceBytes)
                }
            }
        }
        var headers: HTTPFields = [.cacheControl: "no-store", Self.statusHeader: verdict.status.name]
        if verdict.rateLimit > 0 {
            headers[HTTPField.Name("RateLimit")!] =
                "\"default\";r=\(verdict.rateRemaining);t=\(Self.seconds(verdict.rateResetMS))"
        }
        guard verdict.status != .ok else {
            headers[HTTPField.Name("X-Token-Subject")!] = verdict.subject
            headers[HTTPField.Name("X-Token-Id")!] = verdict.tokenID
            headers[HTTPField.Name("X-Token-Kind")!] = verdict.kind == .personal ? "personal" : "service"
            return Response(status: .ok, headers: headers)
        }
        headers[.contentType] = "application/json"
        headers[.wwwAuthenticate] = Self.challenge(verdict, presented: credential != nil, scopes: scopes)
        if verdict.status == .rateLimited { headers[.retryAfter] = String(max(1, Self.seconds(verdict.retryAfterMS))) }
        let body = verdict.status.errorJSON ?? Status.errorBody("Internal Server Error")
        return Response(status: HTTPResponse.Status(code: verdict.status.httpStatus), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// What the gateway says about the request: every `header` field (several are one value joined
    /// with ", ", as HTTP combines them, which no scope list or resource name accepts: a repeated field
    /// is refused by the core, never settled by picking one), else every `query` parameter joined the
    /// same way — read on `/verify` itself only, because below it the path and query are the client's
    /// (Envoy appends them), and a client must never choose its own resource. nil when absent.
    static func gatewayValue(_ request: Request, header: HTTPField.Name, query name: String) -> String? {
        let fields = request.headers[values: header]
        if !fields.isEmpty { return fields.joined(separator: ", ") }
        guard request.uri.path == "/verify" else { return nil }
        let parameters = FormFields(encoded: Substring(request.uri.query ?? "")).all(name)
        return parameters.isEmpty ? nil : parameters.joined(separator: ", ")
    }

    /// RFC 6750's challenge: no error code without credentials, `insufficient_scope` with the scopes.
    private static func challenge(_ verdict: Verdict, presented: Bool, scopes: String?) -> String {
        switch verdict.status {
        case .forbidden: "Bearer realm=\"tokenauth\", error=\"insufficient_scope\", scope=\"\(quotable(scopes ?? ""))\""
        case .malformed where !presented: "Bearer realm=\"tokenauth\""
        case .invalidArgument: "Bearer realm=\"tokenauth\", error=\"invalid_request\""
        case .storageError, .internalError: "Bearer realm=\"tokenauth\""
        default: "Bearer realm=\"tokenauth\", error=\"invalid_token\""
        }
    }

    /// The scopes as a quoted-string's content: only scope characters survive (the core has already
    /// refused anything else with TA_INVALID_ARGUMENT, so this drops nothing in practice).
    private static func quotable(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 }.map(Character.init))
    }

    /// Milliseconds as whole seconds, rounded up.
    private static func seconds(_ ms: Int64) -> Int64 { ms <= 0 ? 0 : (ms - 1) / 1000 + 1 }
}
#endif
