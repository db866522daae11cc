/// One scope of the catalog: the scopes it implies (explicit edges) and an optional description.
public struct ScopeDefinition: Sendable, Equatable {
    public var implies: [String]
    public var description: String?
}

/// The scope catalog: which scopes exist and what each implies. `admin` implies every scope, including
/// scopes defined later, and every IAM action.
public struct ScopeCatalog: Sendable {
    public static let admin = "admin"

    public private(set) var definitions: [String: ScopeDefinition]

    public init(definitions: [String: ScopeDefinition]) { self.definitions = definitions }

    /// The catalog every new database starts with (the product documents' scope table).
    public static let standard = ScopeCatalog(definitions: [
        "tickets:read": ScopeDefinition(implies: [], description: "Read ticket data"),
        "tickets:write": ScopeDefinition(implies: ["tickets:read"], description: "Create/update tickets"),
        "assets:read": ScopeDefinition(implies: [], description: "Read asset data"),
        "assets:write": ScopeDefinition(implies: ["assets:read"], description: "Create/update assets"),
        "users:read": ScopeDefinition(implies: [], description: "Read user data"),
        "users:write": ScopeDefinition(implies: ["users:read"], description: "Manage users"),
        admin: ScopeDefinition(implies: [], description: "Full administrative access"),
    ])

    public func contains(_ scope: String) -> Bool { definitions[scope] != nil }

    public var names: [String] { definitions.keys.sorted() }

    /// The closure of `scopes` through the explicit implications; with `admin` in it, every scope.
    public func expand<S: Sequence<String>>(_ scopes: S) -> Set<String> {
        var result = Set<String>()
        var pending = Array(scopes)
        while let scope = pending.popLast() {
            guard definitions[scope] != nil, result.insert(scope).inserted else { continue }
            pending.append(contentsOf: definitions[scope]?.implies ?? [])
        }
        if result.contains(Self.admin) { result.formUnion(definitions.keys) }
        return result
    }

    /// Whether a set expanded by `expand` (now or earlier) puts `scope` in force under this catalog:
    /// the scope exists, and the set holds it or holds admin.
    public func covers(_ expanded: Set<String>, _ scope: String) -> Bool {
        definitions[scope] != nil && (expanded.contains(scope) || expanded.contains(Self.admin))
    }

    /// The catalog with `scope` (re)defined. Throws for unknown implied scopes or a cycle.
    func defining(_ scope: String, implies: [String], description: String??) throws -> ScopeCatalog {
        for implied in implies where definitions[implied] == nil {
            throw TokenAuthError(.unknownScope, "implied scope \"\(implied)\" is not in the catalog")
        }
        if implies.contains(scope) { throw TokenAuthError.invalid("scope \"\(scope)\" cannot imply itself") }
        var next = self
        let kept = definitions[scope]?.description
        next.definitions[scope] = ScopeDefinition(implies: implies, description: description ?? kept)
        if let cycle = next.cycle(through: scope) {
            throw TokenAuthError.invalid("implications would form a cycle: \(cycle.joined(separator: " -> "))")
        }
        return next
    }

    /// A path scope -> … -> scope along explicit implications, if one exists. Iterative, so that a
    /// long chain of implications cannot exhaust the stack.
    private func cycle(through scope: String) -> [String]? {
        var parent: [String: String] = [:]
        var pending = [scope]
        while let current = pending.popLast() {
            for next in definitions[current]?.implies ?? [] {
                if next == scope {
                    var path = [next, current]
                    var step = current
                    while let previous = parent[step] {
                        path.append(previous)
                        step = previous
                    }
                    return path.reversed()
                }
                if parent[next] == nil {
                    parent[next] = current
                    pending.append(next)
                }
            }
        }
        return nil
    }
}
