/// The query of one page of tokens (`StorageReader.tokens(before:kind:owner:limit:)`), shared by the
/// SQL backends. Its WHERE clause holds only the conditions given — never `?1 IS NULL OR id < ?1`,
/// which keeps a planner from using the id index as a range — so a page after a cursor starts where
/// the cursor is, however deep into a million tokens that is.
struct KeysetPage {
    private enum Value {
        case text(String)
        case int(Int64)
    }

    let sql: String
    private let parameters: [Value]

    /// `placeholder(n)` spells the n-th parameter (1-based) in the backend's dialect.
    init(columns: String, before: String?, kind: TokenKind?, owner: String?, limit: Int, placeholder: (Int) -> String) {
        var conditions: [String] = []
        var parameters: [Value] = []
        func add(_ column: String, _ comparison: String, _ value: Value) {
            parameters.append(value)
            conditions.append("\(column) \(comparison) \(placeholder(parameters.count))")
        }
        if let before { add("id", "<", .text(before)) }
        if let kind { add("kind", "=", .int(Int64(kind.rawValue))) }
        if let owner { add("owner", "=", .text(owner)) }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        sql = "SELECT \(columns) FROM tokens\(filter) ORDER BY id DESC LIMIT \(max(0, limit))"
        self.parameters = parameters
    }

    /// The parameters, in the backend's value type.
    func values<V>(text: (String) -> V, int: (Int64) -> V) -> [V] {
        parameters.map { value in
            switch value {
            case .text(let string): text(string)
            case .int(let number): int(number)
            }
        }
    }
}
