#if Console
import HTTPTypes
import Hummingbird
import NIOCore

/// What one request carries through the console: the peer's address, the signed-in member's
/// session, and the decoded form of a POST.
struct ConsoleContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    /// Set by `SignedInMiddleware` on every page behind the sign-in.
    var session: Session?
    /// Set by `CSRFMiddleware` for a POST (fields of an application/x-www-form-urlencoded body).
    var form = FormFields()

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Forms are small: a token name, a list of scopes, a few choices.
    var maxUploadSize: Int { 64 * 1024 }

    /// The signed-in member (pages behind `SignedInMiddleware` always have one).
    var member: String { session?.member ?? "" }
}
#endif
