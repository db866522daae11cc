#if Console
import TokenAuthCore

/// The scope rows of the create form, read back: each offered grant (`tickets:read`, or
/// `tickets:read@project/42` for a scope the member holds on a pattern only) comes with a hidden
/// `offered` field and an "Only on" `limit` field, in the same order (a browser
/// sends every text field, ticked or not), and a `scope` checkbox when ticked. A ticked grant with a
/// pattern asks for `SCOPE@PATTERN`; the core judges it (an ill-formed pattern, an unknown scope, a
/// grant the member does not hold there). What this type does is keep the form's structure: a
/// pattern is one word, so that typing in it can never add a grant of its own.
struct GrantFields {
    /// The pattern typed for each offered grant (surrounding spaces removed; "" for none).
    let limits: [String: String]
    /// The ticked grants, as offered.
    let ticked: [String]

    init(_ form: FormFields) {
        var limits: [String: String] = [:]
        for (offered, limit) in zip(form.all("offered"), form.all("limit")) {
            limits[offered] = String(limit[...].trimmingSpaces)
        }
        self.limits = limits
        ticked = form.all("scope")
    }

    /// The grants asked for, space-separated as the core reads them.
    func grants() throws -> String {
        for (offered, limit) in limits.sorted(by: { $0.key < $1.key }) where !limit.isEmpty {
            guard ticked.contains(offered) else {
                throw TokenAuthError(.invalidArgument, "a pattern is given for \(offered), which is not ticked: tick it, or clear its pattern")
            }
            guard !limit.contains(" ") else {
                throw TokenAuthError(.invalidArgument, "the pattern for \(offered) is one pattern, without spaces (project/42, site/*/rack/7)")
            }
        }
        return ticked.map { offered in
            guard let limit = limits[offered], !limit.isEmpty else { return offered }
            return "\(Self.scope(of: offered))@\(limit)"
        }.joined(separator: " ")
    }

    /// The scope of an offered grant: the text before its pattern, if it has one.
    static func scope(of grant: String) -> Substring {
        grant.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(grant)
    }

    /// The pattern an offered grant holds its scope on, or nil for every resource.
    static func pattern(of grant: String) -> Substring? {
        grant.firstIndex(of: "@").map { grant[grant.index(after: $0)...] }
    }
}
#endif
