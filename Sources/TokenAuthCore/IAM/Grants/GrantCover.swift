/// What a set of grants lets its holder do, and where: the grants expanded through the catalog's
/// implications, each implied scope keeping the qualifier of the grant that implies it
/// (`admin@project/42` implies every scope on project/42 and nothing elsewhere).
struct GrantCover {
    let catalog: ScopeCatalog
    /// Scopes held on every resource.
    let everywhere: Set<String>
    /// Scopes held on the resources each pattern covers.
    let byPattern: [String: Set<String>]

    /// `grants` expanded with `catalog` now (members: judged by the catalog as it is).
    init(expanding grants: [Grant], catalog: ScopeCatalog) {
        self.catalog = catalog
        everywhere = catalog.expand(grants.filter { $0.pattern == nil }.map(\.scope))
        var byPattern: [String: [String]] = [:]
        for grant in grants { if let pattern = grant.pattern { byPattern[pattern, default: []].append(grant.scope) } }
        self.byPattern = byPattern.mapValues { catalog.expand($0) }
    }

    /// Grants expanded earlier (a token's, fixed at its creation), judged with `catalog`.
    init(expanded grants: [Grant], catalog: ScopeCatalog) {
        self.catalog = catalog
        everywhere = Set(grants.filter { $0.pattern == nil }.map(\.scope))
        var byPattern: [String: Set<String>] = [:]
        for grant in grants { if let pattern = grant.pattern { byPattern[pattern, default: []].insert(grant.scope) } }
        self.byPattern = byPattern
    }

    /// Whether `scope` is held on `resource` (a well-formed name; nil: no specific resource, where
    /// only grants on every resource count).
    func holds(_ scope: String, on resource: String?) -> Bool {
        if catalog.covers(everywhere, scope) { return true }
        guard var name = resource else { return false }
        return name.withUTF8 { name in
            byPattern.contains { pattern, scopes in
                var pattern = pattern
                return catalog.covers(scopes, scope)
                    && pattern.withUTF8 { ResourcePattern.covers(UnsafeRawBufferPointer($0), name: UnsafeRawBufferPointer(name)) }
            }
        }
    }

    /// Whether these grants cover `grant`, so that their holder may give it (least privilege):
    /// a grant on every resource covers everything; `S@Q` covers `S@P` when Q contains P.
    func covers(_ grant: Grant) -> Bool {
        guard catalog.contains(grant.scope) else { return false }
        if catalog.covers(everywhere, grant.scope) { return true }
        guard let inner = grant.pattern else { return false }
        return byPattern.contains { outer, scopes in catalog.covers(scopes, grant.scope) && ResourcePattern.contains(outer, inner) }
    }

    /// Whether admin is held on every resource (IAM: an administrator).
    var isAdmin: Bool { everywhere.contains(ScopeCatalog.admin) }

    /// The expanded grants as text, sorted: what a token stores as its expansion.
    var expandedTexts: [String] {
        (everywhere.map { $0 } + byPattern.flatMap { pattern, scopes in scopes.map { "\($0)@\(pattern)" } })
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
