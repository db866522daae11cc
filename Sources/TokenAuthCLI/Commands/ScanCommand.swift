import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TokenAuthCore

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `tokenauth scan [PATH…]`: the "token security incident" in one command. Finds leaked tokens in
/// files, directories and standard input; with a database, tells which are live and can revoke them.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Find leaked tokens in files, directories (recursively) or standard input (-).",
        discussion: """
            Recognises the published token format by its checksum and prints file:line and the hint \
            (the first characters), never the whole token. Binary files (a NUL byte in the first \
            8 KiB), symbolic links met in directories and .git/.hg/.svn directories are skipped. \
            With --db (or $TOKENAUTH_DB) only the store's prefix is recognised and each token is looked \
            up: live means known and not revoked (active, inactive, expired, owner inactive or rate \
            limited); --revoke revokes the live ones, audited with the reason "leaked". Looking a \
            token up here does not count as a use. Exit code 1 when a live token was found.
            """)
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Revoke the live tokens found (needs a database).") var revoke = false
    @Option(name: .customLong("exclude"), help: ArgumentHelp("Skip files and directories whose name matches this glob (repeatable).",
                                                             valueName: "glob"))
    var excluded: [String] = []
    @Argument(help: "Files and directories to scan, - for standard input (default: .).") var paths: [String] = []

    static let skippedDirectories: Set<String> = [".git", ".hg", ".svn"]

    func validate() throws {
        if revoke, !store.isExplicit { throw ValidationError("--revoke needs a database: give --db PATH or set TOKENAUTH_DB") }
    }

    func run() throws {
        let started = Monotonic.nowSeconds()
        var session = try ScanSession(store: store.isExplicit ? store : nil, actor: actor.actor, revoke: revoke,
                                      json: output.json, excluded: excluded)
        defer { session.store?.close() }
        for path in paths.isEmpty ? ["."] : paths {
            try session.scan(argument: path)
        }
        let seconds = max(Monotonic.nowSeconds() - started, 1e-6)
        session.finish(seconds: seconds)
        if session.liveTokens > 0 { throw SilentExit(code: Exit.liveTokenFound) }
    }
}

enum Monotonic {
    static func nowSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// One run of `scan`: the walk, the lookups and revocations, the output.
struct ScanSession {
    /// What a database says about one distinct token found.
    struct Lookup {
        var verdict: Verdict
        var live: Bool
        var name: String?
        var owner: String?
        var statusWord: String?
        var revoked = false
        var revokeError: String?
    }

    let store: TokenStore?
    let actor: String?
    let revoke: Bool
    let json: Bool
    let excluded: [String]
    let scanner: StreamScanner
    let prefix: String?
    /// Token metadata by id, read before any lookup (the listing would write buffered usage).
    private var tokens: [String: [String: Parsed]] = [:]
    private var lookups: [[UInt8]: Lookup] = [:]
    private var findings: [JSON] = []
    private(set) var liveTokens = 0
    private var files = 0
    private var bytes = 0
    private var binaries = 0
    private var unreadable = 0
    private var found = 0
    private var revokedNow = 0

    init(store options: StoreOptions?, actor: String?, revoke: Bool, json: Bool, excluded: [String]) throws {
        self.actor = actor
        self.revoke = revoke
        self.json = json
        self.excluded = excluded
        var prefix: String?
        if let options {
            // Lookups go through `inspect`: they count no use and write no verify.denied entry.
            let store = try options.open(creating: false, configuration: StoreConfiguration())
            self.store = store
            prefix = store.tokenPrefix
            for token in try JSONValue.objects(store.listTokens(actor: nil, query: nil)) {
                guard let id = JSONValue.string(token["id"]) else { continue }
                tokens[id] = token
            }
        } else {
            store = nil
        }
        self.prefix = prefix
        scanner = StreamScanner(matcher: TokenMatcher(prefix: prefix))
    }

    mutating func scan(argument path: String) throws {
        if path == "-" { return try scanStream(fd: STDIN_FILENO, name: "<stdin>") }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CLIFailure(Exit.storage, "cannot scan \(path): \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            try walk(path)
        } else {
            try scanFile(path)
        }
    }

    private func isExcluded(_ name: String) -> Bool {
        excluded.contains { fnmatch($0, name, 0) == 0 }
    }

    private mutating func walk(_ directory: String) throws {
        guard let handle = opendir(directory) else {
            warn("cannot read \(directory): \(String(cString: strerror(errno)))")
            return
        }
        var entries: [(name: String, type: UInt8)] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            entries.append((name, entry.pointee.d_type))
        }
        closedir(handle)
        entries.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        for entry in entries where !isExcluded(entry.name) {
            let path = directory.hasSuffix("/") ? directory + entry.name : directory + "/" + entry.name
            var type = entry.type
            if type == UInt8(DT_UNKNOWN) {
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: type = UInt8(DT_DIR)
                case S_IFREG: type = UInt8(DT_REG)
                default: continue
                }
            }
            if type == UInt8(DT_DIR) {
                if !ScanCommand.skippedDirectories.contains(entry.name) { try walk(path) }
            } else if type == UInt8(DT_REG) {
                try scanFile(path)
            }
        }
    }

    private mutating func scanFile(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            unreadable += 1
            return warn("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        try scanStream(fd: fd, name: path)
    }

    private mutating func scanStream(fd: Int32, name: String) throws {
        var hits: [Finding] = []
        do {
            switch try scanner.scan(fd: fd, found: { hits.append($0) }) {
            case .scanned(let count):
                files += 1
                bytes += count
            case .binary(let count):
                binaries += 1
                bytes += count
            }
        } catch {
            unreadable += 1
            warn("cannot read \(name): \(error.message)")
        }
        defer { for index in hits.indices { TokenStore.wipe(&hits[index].secret) } }
        for hit in hits { try report(hit, in: name) }
    }

    private func warn(_ message: String) { Terminal.error("tokenauth: warning: \(message)") }

    /// Looks a token up once (the same token found twice is looked up and revoked once). A look-up
    /// that fails (storage, internal error) ends the scan: it cannot say whether the token is live.
    private mutating func lookup(_ secret: [UInt8], in store: TokenStore) throws -> Lookup {
        if let known = lookups[secret] { return known }
        let verdict = secret.withUnsafeBytes { store.inspect(credential: $0) }
        if verdict.status == .storageError || verdict.status == .internalError || verdict.status == .invalidArgument {
            throw TokenAuthError(verdict.status, "cannot look a found token up: \(verdict.explanation())")
        }
        let live = ![.malformed, .unknownToken, .revoked].contains(verdict.status)
        let metadata = tokens[verdict.tokenID]
        var result = Lookup(verdict: verdict, live: live, name: metadata.flatMap { JSONValue.string($0["name"]) },
                            owner: metadata.flatMap { JSONValue.string($0["owner"]) },
                            statusWord: metadata.flatMap { JSONValue.string($0["status"]) })
        if live {
            liveTokens += 1
            if revoke {
                do {
                    try store.revokeToken(actor: actor, tokenID: verdict.tokenID, reason: "leaked")
                    result.revoked = true
                    revokedNow += 1
                } catch let error as TokenAuthError {
                    result.revokeError = "\(error.status.name): \(error.message)"
                    Terminal.error("tokenauth: cannot revoke \(verdict.tokenID): \(error.status.name): \(error.message)")
                } catch {
                    result.revokeError = "\(error)"
                }
            }
        }
        lookups[secret] = result
        return result
    }

    private mutating func report(_ hit: Finding, in path: String) throws {
        found += 1
        var entry: [(String, JSON)] = [("path", .string(path)), ("line", .int(Int64(hit.line))), ("hint", .string(hit.hint)),
                                       ("kind", .string(hit.kindWord))]
        var text = "\(path):\(hit.line): \(hit.hint)…  \(hit.kindWord) token"
        if let store {
            let result = try lookup(hit.secret, in: store)
            let verdict = result.verdict
            entry += [("live", .bool(result.live)), ("status", .string(verdict.status.name)),
                      ("token_id", JSONValue.optional(verdict.tokenID.isEmpty ? nil : verdict.tokenID)),
                      ("name", JSONValue.optional(result.name)), ("owner", JSONValue.optional(result.owner)),
                      ("token_status", JSONValue.optional(result.statusWord))]
            if revoke, result.live { entry.append(("revoked", .bool(result.revoked))) }
            if let error = result.revokeError { entry.append(("revoke_error", .string(error))) }
            if verdict.status == .unknownToken || verdict.status == .malformed {
                text = "\(path):\(hit.line): \(hit.hint)…  not live: unknown to this database"
            } else {
                let owner = result.owner.map { "owner \($0)" } ?? "no owner"
                let state = result.live ? "LIVE" : "not live: \(result.statusWord ?? verdict.status.name)"
                text = "\(path):\(hit.line): \(hit.hint)…  \(state)  \(verdict.tokenID)  \(hit.kindWord)  \(owner)  \"\(result.name ?? "")\""
                if result.live, let status = result.statusWord, status != "active" { text += "  (\(status))" }
                if result.revoked { text += "  -> revoked now (reason \"leaked\")" }
                if result.revokeError != nil { text += "  -> NOT revoked" }
            }
        }
        if json { findings.append(.object(entry)) } else { print(text) }
    }

    func finish(seconds: Double) {
        let megabytes = Double(bytes) / 1_000_000
        let rate = megabytes / seconds
        if json {
            var summary: [(String, JSON)] = [
                ("files", .int(Int64(files))), ("bytes", .int(Int64(bytes))), ("binary_files_skipped", .int(Int64(binaries))),
                ("unreadable", .int(Int64(unreadable))), ("tokens_found", .int(Int64(found))),
                ("seconds", .encodedText(seconds.fixed(3))), ("megabytes_per_second", .encodedText(rate.fixed(1))),
            ]
            if store != nil {
                summary += [("prefix", JSONValue.optional(prefix)), ("live_tokens", .int(Int64(liveTokens)))]
                if revoke { summary.append(("revoked", .int(Int64(revokedNow)))) }
            }
            summary.append(("findings", .array(findings)))
            print(JSON.object(summary).encoded())
            return
        }
        let amount = bytes < 1_000_000 ? "\(bytes) bytes" : "\(megabytes.fixed(1)) MB in \(seconds.fixed(2)) s, \(rate.fixed(0)) MB/s"
        var line = "tokenauth: scanned \(files) file\(files == 1 ? "" : "s") (\(amount))"
        if binaries > 0 { line += ", skipped \(binaries) binary" }
        line += "; \(found) token\(found == 1 ? "" : "s") found"
        if store != nil {
            line += ", \(liveTokens) live"
            if revoke { line += ", \(revokedNow) revoked now" }
        }
        Terminal.error(line)
    }
}
