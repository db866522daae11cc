#if Console
import TokenAuthCore

/// A token as the pages show it: words for its status and times, its actions, its usage bars.
struct TokenRow: Sendable {
    struct Bar: Sendable {
        let x: Int
        let y: Int
        let height: Int
        let label: String
    }

    let id: String
    let name: String
    let hint: String
    let kind: String
    let owner: String
    let scopes: [String]
    let effective: [String]
    let statusLabel: String
    let statusClass: String
    let expiry: String
    let created: String
    let createdISO: String
    let createdAbsolute: String
    let lastUsed: String
    let uses: String
    let denied: String
    let rateLimit: String
    let rotatedFrom: String?
    let rotatedTo: String?
    let bars: [Bar]
    let sparkWidth: Int
    let sparkLabel: String
    let csrf: String
    let hasActions: Bool
    let canRename: Bool
    let canActivate: Bool
    let canDeactivate: Bool
    let canRotate: Bool
    let canRevoke: Bool
    let canDelete: Bool

    init(_ token: TokenJSON, actions: [String], now: Int64, csrf: String) {
        id = token.id
        name = token.name
        hint = token.hint
        kind = token.kind
        owner = token.kind == "personal" ? (token.owner ?? "-") : "created by \(token.createdBy)"
        scopes = token.scopes
        effective = token.effectiveScopes
        (statusLabel, statusClass) = Self.status(token.status)
        expiry = Self.expiry(token, now: now)
        created = TimeText.relative(token.createdAt, now: now)
        createdISO = TimeText.timestamp(token.createdAt).replacingSpace(with: "T")
        createdAbsolute = TimeText.timestamp(token.createdAt)
        lastUsed = token.lastUsedAt.map { TimeText.relative($0, now: now) } ?? "never"
        uses = String(token.useCount)
        denied = String(token.deniedCount ?? 0)
        rateLimit = token.rateLimit.map { limit in
            let window = TimeText.span(limit.windowMs)
            return "\(limit.limit) per \(window.hasPrefix("1 ") ? String(window.dropFirst(2)) : window)"
        } ?? "unlimited"
        rotatedFrom = token.rotatedFrom
        rotatedTo = token.rotatedTo
        let recent = token.recentUses ?? []
        let peak = max(recent.max() ?? 0, 1)
        let firstDay = UTCDay.day(of: now) - Int64(recent.count) + 1
        bars = recent.enumerated().map { index, count in
            let height = count == 0 ? 0 : max(1, Int((Double(count) / Double(peak) * 16).rounded()))
            return Bar(x: index * 4, y: 16 - height, height: height,
                       label: "\(UTCDay.format(firstDay + Int64(index))): \(count) \(count == 1 ? "use" : "uses")")
        }
        sparkWidth = max(recent.count * 4 - 1, 1)
        let total = recent.reduce(0, +)
        sparkLabel = "\(total) \(total == 1 ? "use" : "uses") in the last \(recent.count) days"
        self.csrf = csrf
        hasActions = !actions.isEmpty
        canRename = actions.contains("rename")
        canActivate = actions.contains("activate")
        canDeactivate = actions.contains("deactivate")
        canRotate = actions.contains("rotate")
        canRevoke = actions.contains("revoke")
        canDelete = actions.contains("delete")
    }

    private static func status(_ word: String) -> (String, String) {
        switch word {
        case "active": ("Active", "good")
        case "inactive": ("Inactive", "warn")
        case "owner_inactive": ("Owner inactive", "warn")
        case "expired": ("Expired", "bad")
        case "revoked": ("Revoked", "bad")
        default: (word, "warn")
        }
    }

    /// "expires in 3 days", "expired 2 days ago", "never expires"; for a rotated token in its grace
    /// period, when it stops working.
    private static func expiry(_ token: TokenJSON, now: Int64) -> String {
        if let revoked = token.revokedAt {
            return revoked > now ? "stops working \(TimeText.relative(revoked, now: now)) (rotated)" : "revoked \(TimeText.relative(revoked, now: now))"
        }
        guard let expires = token.expiresAt else { return "never expires" }
        return expires <= now ? "expired \(TimeText.relative(expires, now: now))" : "expires \(TimeText.relative(expires, now: now))"
    }
}

extension String {
    fileprivate func replacingSpace(with replacement: Character) -> String {
        String(map { $0 == " " ? replacement : $0 })
    }
}
#endif
