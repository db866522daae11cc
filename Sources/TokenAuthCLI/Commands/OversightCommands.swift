import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TokenAuthCore

/// `tokenauth stats ID [--since 7d]`: usage of one token, with a per-day bar chart.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Usage statistics of one token, with a per-day bar chart.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The token id.") var id: String
    @Option(help: ArgumentHelp("From when: a duration back (7d), a date (2024-03-01) or all (default).", valueName: "when"))
    var since: String?

    /// The most days the chart shows (the last ones).
    static let chartDays: Int64 = 62

    func run() throws {
        let now = Format.nowMS()
        let sinceMS = try since.map { try Parse.past($0, now: now, what: "--since") } ?? 0
        let (statsJSON, tokenJSON) = try store.withStore(creating: false) { store in
            (try store.stats(actor: actor.actor, tokenID: id, sinceMS: sinceMS),
             output.json ? nil : try store.getToken(actor: actor.actor, tokenID: id))
        }
        if output.json { return print(statsJSON) }
        let stats = try JSONValue.object(statsJSON)
        let token = try tokenJSON.map(JSONValue.object) ?? [:]
        print(Self.render(stats, token: token, sinceMS: sinceMS, now: now))
    }

    static func render(_ stats: [String: Parsed], token: [String: Parsed], sinceMS: Int64, now: Int64) -> String {
        var out: [String] = []
        let period = sinceMS == 0 ? "all time" : "since \(Format.date(sinceMS))"
        out.append("\(JSONValue.string(stats["token_id"]) ?? "?") \"\(JSONValue.string(token["name"]) ?? "")\": usage, \(period)")
        let lastUsed = JSONValue.int(stats["last_used_at"]).map { "\(Format.timestamp($0)) (\(Format.relative($0, now: now)))" } ?? "never"
        out.append("  uses: \(JSONValue.int(stats["use_count"]) ?? 0)   denied: \(JSONValue.int(stats["denied_count"]) ?? 0)   last used: \(lastUsed)")
        out.append("  scopes used: \(JSONValue.strings(stats["scopes_used"]).joined(separator: " ").ifEmpty("none"))")

        // The chart: every day from the first one selected (or the first with use) to today.
        var byDay: [Int64: Int64] = [:]
        for (key, value) in stats["by_day"]?.objectValue ?? [:] {
            if let ms = Parse.date(key), let count = JSONValue.int(value) { byDay[Format.dayNumber(ms)] = count }
        }
        let today = Format.dayNumber(now)
        if let firstUsed = byDay.keys.min() {
            var first = sinceMS == 0 ? firstUsed : min(Format.dayNumber(sinceMS), firstUsed)
            let last = max(today, byDay.keys.max() ?? today)
            if last - first + 1 > chartDays {
                first = last - chartDays + 1
                out.append("")
                out.append("  (the chart shows the last \(chartDays) days; use --since for others)")
            }
            let maximum = byDay.values.max() ?? 0
            let width = String(maximum).count
            out.append("")
            for day in first...last {
                let count = byDay[day] ?? 0
                let number = String(count)
                let row = "  \(Format.date(day * Parse.day))  \(String(repeating: " ", count: width - number.count))\(number) \(Format.bar(count, maximum: maximum))"
                out.append(count == 0 ? String(row.dropLast()) : row)
            }
        } else {
            out.append("")
            out.append("  No use in this period.")
        }

        for (title, key) in [("by operation", "by_operation"), ("by upstream status", "by_status")] {
            let counts = (stats[key]?.objectValue ?? [:]).compactMap { name, value in JSONValue.int(value).map { (name, $0) } }
            guard !counts.isEmpty else { continue }
            out.append("")
            out.append("  \(title):")
            let sorted = counts.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            let table = Format.table(["", ""], sorted.map { [$0.0, String($0.1)] }, rightAligned: [1])
            out.append(contentsOf: table.split(separator: "\n").dropFirst().map { "    " + $0 })
        }
        return out.joined(separator: "\n")
    }
}

/// `tokenauth audit [--token --actor --event --since --limit]`: the audit log, newest first.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The audit log, newest first (needs admin, or the host).")
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("Only entries about this token.", valueName: "id")) var token: String?
    @Option(name: .customLong("actor"), help: ArgumentHelp("Only entries by this actor (\"system\" for the host).", valueName: "id"))
    var byActor: String?
    @Option(help: ArgumentHelp("Only this event, e.g. token.revoked, iam.denied, verify.denied.", valueName: "name"))
    var event: String?
    @Option(help: ArgumentHelp("From when: a duration back (7d) or a date (2024-03-01).", valueName: "when")) var since: String?
    @Option(help: ArgumentHelp("At most this many entries (default 1000).", valueName: "n")) var limit: Int?

    func run() throws {
        let now = Format.nowMS()
        var filters: [String] = []
        func add(_ key: String, _ value: String?) throws {
            guard let value else { return }
            guard !value.isEmpty, !value.contains(" ") else { throw CLIFailure.usage("--\(key) takes one word") }
            filters.append("\(key)=\(value)")
        }
        try add("token", token)
        try add("actor", byActor)
        try add("event", event)
        if let since { filters.append("since=\(try Parse.past(since, now: now, what: "--since"))") }
        if let limit {
            guard limit >= 1 else { throw CLIFailure.usage("--limit must be at least 1") }
            filters.append("limit=\(limit)")
        }
        let json = try store.withStore(creating: false) {
            try $0.audit(actor: actor.actor, query: filters.isEmpty ? nil : filters.joined(separator: " "))
        }
        if output.json { return print(json) }
        let entries = try JSONValue.objects(json)
        guard !entries.isEmpty else { return print("No audit entries.") }
        print(Format.table(["TIME (UTC)", "EVENT", "ACTOR", "TOKEN", "MEMBER", "DETAIL"], entries.map { entry in
            [JSONValue.int(entry["at"]).map(Format.timestamp) ?? "?",
             JSONValue.string(entry["event"]) ?? "?",
             JSONValue.string(entry["actor"]) ?? "-",
             JSONValue.string(entry["token_id"]) ?? "-",
             JSONValue.string(entry["member_id"]) ?? "-",
             Self.detail(entry["detail"])]
        }))
    }

    /// `key=value …` for a detail object, keys sorted; times as UTC timestamps.
    static func detail(_ value: Parsed?) -> String {
        guard let object = value?.objectValue else { return value.map { $0.json.encoded() } ?? "" }
        return object.keys.sorted().map { key -> String in
            let item = object[key]
            let text: String
            if key.hasSuffix("_at"), let ms = JSONValue.int(item) {
                text = Format.timestamp(ms)
            } else if let string = JSONValue.string(item) {
                text = string.contains(" ") || string.isEmpty ? JSONValue.quote(string) : string
            } else if let list = item?.arrayValue {
                text = "[" + list.map { JSONValue.string($0) ?? $0.json.encoded() }.joined(separator: " ") + "]"
            } else if let item, case .null = item {
                text = "-"
            } else {
                text = item?.json.encoded() ?? "-"
            }
            return "\(key)=\(text)"
        }.joined(separator: " ")
    }
}

/// `tokenauth report [--since 90d]`: the least-privilege and hygiene report.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Least-privilege and hygiene report: unused scopes, idle and never-expiring tokens.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("The usage window: a duration back (default 90d), a date, or all.", valueName: "when"))
    var since = "90d"

    func run() throws {
        let now = Format.nowMS()
        let sinceMS = try Parse.past(since, now: now, what: "--since")
        let json = try store.withStore(creating: false) { try $0.report(actor: actor.actor, sinceMS: sinceMS) }
        if output.json { return print(json) }
        let report = try JSONValue.object(json)
        let tokens = report["tokens"]?.arrayValue?.compactMap(\.objectValue) ?? []
        let period = sinceMS == 0 ? "all time" : "since \(Format.date(sinceMS))"
        var out = ["Token report: \(tokens.count) token\(tokens.count == 1 ? "" : "s") not revoked; usage \(period)."]
        for token in tokens {
            let lastUsed = Format.relative(JSONValue.int(token["last_used_at"]), now: now)
            let expires = JSONValue.int(token["expires_at"]).map { "expires \(Format.relative($0, now: now))" } ?? "never expires"
            out.append("")
            out.append("\(JSONValue.string(token["token_id"]) ?? "?")  \"\(JSONValue.string(token["name"]) ?? "")\"  \(JSONValue.string(token["kind"]) ?? "?")  \(JSONValue.string(token["status"]) ?? "?")  owner \(JSONValue.string(token["owner"]) ?? "-")  last used \(lastUsed)  \(expires)")
            out.append("  scopes: \(JSONValue.strings(token["scopes"]).joined(separator: " "))   unused: \(JSONValue.strings(token["unused_scopes"]).joined(separator: " ").ifEmpty("none"))")
            let advice = JSONValue.strings(token["recommendations"])
            if advice.isEmpty {
                out.append("  nothing to recommend")
            }
            for line in advice { out.append("  - \(line)") }
        }
        print(out.joined(separator: "\n"))
    }
}
