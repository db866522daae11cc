/// What a verification judges of its inputs before it looks at any token: the required scopes'
/// syntax and the resource name's. The verifier and this check ask the same predicates, so a
/// gateway that checks a fixed configuration when it loads it (nginx -t) gets the answer every
/// request would get.
public enum VerifyInput {
    /// Throws TA_INVALID_ARGUMENT naming what is ill-formed: `requiredScopes` not a space-separated
    /// list of scope names, or `resource` not a resource name. nil or empty: nothing to check. It
    /// does not ask whether the scopes are in a catalog (that takes a store).
    public static func check(requiredScopes: UnsafeRawBufferPointer?, resource: UnsafeRawBufferPointer?) throws {
        if let requiredScopes, !ScopeWords.areValid(requiredScopes) {
            throw TokenAuthError(.invalidArgument, "required_scopes is not a space-separated list of scope names (each 1..63 bytes of a-z 0-9 : . _ -)")
        }
        if let resource, !resource.isEmpty, !ResourcePattern.isWellFormed(resource, wildcards: false) {
            throw TokenAuthError(.invalidArgument, "the resource is not a resource name ('/'-separated segments of 1..64 bytes of A-Z a-z 0-9 . _ : -, at most 1024 bytes)")
        }
    }
}
