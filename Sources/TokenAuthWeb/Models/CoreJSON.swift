#if Console
import FoundationEssentials
import TokenAuthCore

/// The library's JSON outputs as the console reads them (the same text the C ABI returns).
enum CoreJSON {
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do {
            // Keys are mapped by each type's CodingKeys, never by a key strategy: that would also
            // rewrite the keys of maps such as by_operation ("GET /my_items").
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw TokenAuthError(.internalError, "the library returned JSON the console cannot read")
        }
    }
}

/// A token, as `ta_token_list`/`ta_token_page` describe it.
struct TokenJSON: Decodable, Sendable {
    struct RateLimitJSON: Decodable, Sendable {
        let limit: Int64
        let windowMs: Int64

        enum CodingKeys: String, CodingKey {
            case limit
            case windowMs = "window_ms"
        }
    }

    let id: String
    let name: String
    let kind: String
    let owner: String?
    let createdBy: String
    let scopes: [String]
    let effectiveScopes: [String]
    let status: String
    let active: Bool
    let createdAt: Int64
    let expiresAt: Int64?
    let revokedAt: Int64?
    let lastUsedAt: Int64?
    let useCount: Int64
    let deniedCount: Int64?
    let hint: String
    let rateLimit: RateLimitJSON?
    let rotatedFrom: String?
    let rotatedTo: String?
    /// Only from `ta_token_page`.
    let actions: [String]?
    let recentUses: [Int64]?

    enum CodingKeys: String, CodingKey {
        case id
        case name
        case kind
        case owner
        case createdBy = "created_by"
        case scopes
        case effectiveScopes = "effective_scopes"
        case status
        case active
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
        case lastUsedAt = "last_used_at"
        case useCount = "use_count"
        case deniedCount = "denied_count"
        case hint
        case rateLimit = "rate_limit"
        case rotatedFrom = "rotated_from"
        case rotatedTo = "rotated_to"
        case actions
        case recentUses = "recent_uses"
    }
}

struct TokenPageJSON: Decodable, Sendable {
    let tokens: [TokenJSON]
    let next: String?
    let scanned: Int64
    let asOf: Int64
    let usageFlushMs: Int64

    enum CodingKeys: String, CodingKey {
        case tokens
        case next
        case scanned
        case asOf = "as_of"
        case usageFlushMs = "usage_flush_ms"
    }
}

struct ActionsJSON: Decodable, Sendable {
    let actions: [String]
}

struct ScopeJSON: Decodable, Sendable {
    let scope: String
    let implies: [String]
    let description: String?
}

struct RightsJSON: Decodable, Sendable {
    let actor: String
    let create: [String]
    let grantableScopes: [ScopeJSON]
    let audit: Bool
    let allMembers: Bool

    enum CodingKeys: String, CodingKey {
        case actor
        case create
        case grantableScopes = "grantable_scopes"
        case audit
        case allMembers = "all_members"
    }
}

struct MemberJSON: Decodable, Sendable {
    let id: String
    let active: Bool
    let permissions: [String]
}

struct StatsJSON: Decodable, Sendable {
    let useCount: Int64
    let deniedCount: Int64
    let lastUsedAt: Int64?
    let byDay: [String: Int64]
    let byOperation: [String: Int64]
    let byStatus: [String: Int64]
    let scopesUsed: [String]

    enum CodingKeys: String, CodingKey {
        case useCount = "use_count"
        case deniedCount = "denied_count"
        case lastUsedAt = "last_used_at"
        case byDay = "by_day"
        case byOperation = "by_operation"
        case byStatus = "by_status"
        case scopesUsed = "scopes_used"
    }
}

struct AuditEntryJSON: Decodable, Sendable {
    let at: Int64
    let event: String
    let actor: String?
    let tokenId: String?
    let memberId: String?
    let detail: [String: DetailValue]

    enum CodingKeys: String, CodingKey {
        case at
        case event
        case actor
        case tokenId = "token_id"
        case memberId = "member_id"
        case detail
    }
}

/// One value of an audit entry's detail, as text for people: strings as they are, lists joined.
struct DetailValue: Decodable, Sendable {
    let text: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            text = "-"
        } else if let value = try? container.decode(String.self) {
            text = value
        } else if let value = try? container.decode(Int64.self) {
            text = String(value)
        } else if let value = try? container.decode(Bool.self) {
            text = value ? "true" : "false"
        } else if let values = try? container.decode([String].self) {
            text = values.joined(separator: " ")
        } else {
            text = "…"
        }
    }
}

struct ReportJSON: Decodable, Sendable {
    struct Entry: Decodable, Sendable {
        let tokenId: String
        let name: String
        let kind: String
        let owner: String?
        let status: String
        let scopes: [String]
        let unusedScopes: [String]
        let neverUsed: Bool
        let lastUsedAt: Int64?
        let idleDays: Int64?
        let neverExpires: Bool
        let expiresAt: Int64?
        let expiresSoon: Bool
        let recommendations: [String]

        enum CodingKeys: String, CodingKey {
            case tokenId = "token_id"
            case name
            case kind
            case owner
            case status
            case scopes
            case unusedScopes = "unused_scopes"
            case neverUsed = "never_used"
            case lastUsedAt = "last_used_at"
            case idleDays = "idle_days"
            case neverExpires = "never_expires"
            case expiresAt = "expires_at"
            case expiresSoon = "expires_soon"
            case recommendations
        }
    }

    let generatedAt: Int64
    let since: Int64
    let tokens: [Entry]

    enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at"
        case since
        case tokens
    }
}
#endif
