#if Console
extension Templates {
    /// An error page: what went wrong, in the library's words, and a way back.
    static let error = """
        <h1>{{heading}}</h1>
        <p class="error-message">{{message}}</p>
        {{#status}}<p class="muted">HTTP {{status}}{{#code}} · {{code}}{{/code}}</p>{{/status}}
        <p><a href="/tokens">Back to the access tokens</a></p>
        """
}
#endif
