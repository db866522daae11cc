#if Console
import HTTPTypes
import Hummingbird
import Mustache
import TokenAuthCore

/// What every page shows around its body: the navigation, the signed-in member, a one-time notice.
struct Frame: Sendable {
    struct NavItem: Sendable {
        let href: String
        let label: String
        let current: Bool
    }

    let title: String
    let member: String?
    let csrf: String?
    let nav: [NavItem]
    let notice: String?

    /// A page without navigation (errors, sign-in).
    static func bare(_ title: String) -> Frame { Frame(title: title, member: nil, csrf: nil, nav: [], notice: nil) }
}

/// Renders the templates (parsed once, at start-up) into HTML responses.
struct PageRenderer: Sendable {
    private let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        for (name, text) in Templates.all { try library.register(text, named: name) }
        self.library = library
    }

    /// The HTML of `template` for `model` (a struct whose stored properties the template names).
    func render(_ template: String, _ model: Any) -> String {
        library.render(model, withTemplate: template) ?? ""
    }

    /// A whole page: `template` rendered for `model`, inside the layout.
    func page(_ template: String, _ model: Any, frame: Frame, status: HTTPResponse.Status = .ok) -> Response {
        let layout = LayoutModel(title: frame.title, member: frame.member, csrf: frame.csrf, hasNav: !frame.nav.isEmpty,
                                 nav: frame.nav, notice: frame.notice, body: render(template, model))
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: render("layout", layout))))
    }

    /// An error page for whatever a handler threw: the library's status and message, or Hummingbird's.
    func error(_ error: any Error, context: ConsoleContext) -> Response {
        switch error {
        case let failure as TokenAuthError:
            return errorPage(HTTPResponse.Status(code: failure.status.httpStatus), heading: Self.heading(failure.status),
                             message: failure.message, code: failure.status.name)
        case let failure as HTTPError:
            return errorPage(failure.status, heading: failure.status.reasonPhrase, message: failure.body ?? failure.status.reasonPhrase, code: nil)
        default:
            return errorPage(.internalServerError, heading: "Something went wrong", message: "The console could not answer this request.", code: nil)
        }
    }

    /// A short error page with no navigation (refusals by the security checks, sign-in problems).
    func plainError(_ status: HTTPResponse.Status, _ message: String) -> Response {
        errorPage(status, heading: status.reasonPhrase, message: message, code: nil)
    }

    private func errorPage(_ status: HTTPResponse.Status, heading: String, message: String, code: String?) -> Response {
        page("error", ErrorModel(heading: heading, message: message, status: status.code, code: code), frame: .bare(heading), status: status)
    }

    private static func heading(_ status: Status) -> String {
        switch status {
        case .notFound: "Not found"
        case .permissionDenied: "Not allowed"
        case .conflict: "Not possible now"
        case .invalidArgument, .unknownScope: "Check the input"
        case .storageError: "The token database is unavailable"
        default: "Something went wrong"
        }
    }
}

private struct LayoutModel {
    let title: String
    let member: String?
    let csrf: String?
    let hasNav: Bool
    let nav: [Frame.NavItem]
    let notice: String?
    let body: String
}

private struct ErrorModel {
    let heading: String
    let message: String
    let status: Int
    let code: String?
}
#endif
