/// The filters of a token listing — `kind=`, `owner=`, `status=` of a query, and a name fragment —
/// checked once, then applied to each token as one actor sees it.
struct TokenFilter {
    static let keys: Set<String> = ["kind", "owner", "status"]
    private static let statusWords: Set<String> = ["active", "inactive", "revoked", "expired", "owner_inactive"]
    /// The longest name fragment accepted: a token name's own limit.
    static let maximumNameBytes = 200

    let kind: TokenKind?
    let owner: String?
    let status: String?
    /// Lower-cased; a token matches when its lower-cased name contains it.
    let nameFragment: String?

    init(_ filters: QueryFilters, nameContains: String? = nil) throws {
        kind = try filters["kind"].map { word in
            try TokenKind(word: word) ?? { throw TokenAuthError.invalid("query: kind= must be personal or service") }()
        }
        owner = try filters["owner"].map { try Validate.identifier($0, "query: owner=") }
        if let status = filters["status"], !Self.statusWords.contains(status) {
            throw TokenAuthError.invalid("query: status= must be one of \(Self.statusWords.sorted().joined(separator: ", "))")
        }
        status = filters["status"]
        if let nameContains, nameContains.utf8.count > Self.maximumNameBytes {
            throw TokenAuthError.invalid("name_contains is longer than \(Self.maximumNameBytes) bytes")
        }
        nameFragment = nameContains.flatMap { $0.isEmpty ? nil : $0.lowercased() }
    }

    /// Whether `token` passes every filter given (visibility is the caller's business).
    func matches(_ token: TokenRecord, in view: TokenView) -> Bool {
        (kind == nil || token.kind == kind) && (owner == nil || token.owner == owner)
            && (status == nil || view.statusWord(token) == status)
            && (nameFragment.map { token.name.lowercased().contains($0) } ?? true)
    }
}
