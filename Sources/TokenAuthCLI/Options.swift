import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TokenAuthCore

/// `--db PATH`: the token database (default `$TOKENAUTH_DB`, else `./tokens.db`).
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The token database (default: $TOKENAUTH_DB, else ./tokens.db).",
                                            valueName: "path"))
    var db: String?

    /// The path in force: the option, the environment, or the default.
    var path: String {
        if let db { return db }
        if let fromEnvironment = ProcessInfo.processInfo.environment["TOKENAUTH_DB"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "./tokens.db"
    }

    /// True when a database was named (`--db` or `$TOKENAUTH_DB`), not merely defaulted.
    var isExplicit: Bool {
        db != nil || !(ProcessInfo.processInfo.environment["TOKENAUTH_DB"] ?? "").isEmpty
    }

    /// Opens the store (a SQLite path or a PostgreSQL URI). Only commands that change something may
    /// create a new SQLite database: a reading command on a path where there is none is an error,
    /// not a new, empty database.
    func open(creating: Bool, configuration: StoreConfiguration = StoreConfiguration()) throws -> TokenStore {
        let path = self.path
        let isURI = path.hasPrefix("postgresql://") || path.hasPrefix("postgres://")
        if !creating, !isURI, path != ":memory:", !FileManager.default.fileExists(atPath: path) {
            throw CLIFailure(Exit.storage, "no token database at \(path) (give --db PATH or set TOKENAUTH_DB)")
        }
        return try TokenStore.open(path: path, configuration: configuration)
    }

    /// Opens the store, runs `body`, and closes it (which writes buffered usage).
    func withStore<T>(creating: Bool, _ body: (TokenStore) throws -> T) throws -> T {
        let store = try open(creating: creating)
        defer { store.close() }
        return try body(store)
    }
}

/// `--as MEMBER`: who performs the call (omitted: the host, which may do everything except own or
/// rotate a personal token).
struct ActorOptions: ParsableArguments {
    @Option(name: .customLong("as"),
            help: ArgumentHelp("Act as this member (default: the host, recorded as \"system\").", valueName: "member"))
    var actor: String?
}

/// `--json`: machine-readable output for scripts.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false
}

/// `--yes`: skip the confirmation a destructive command asks for on a terminal.
struct ConfirmOptions: ParsableArguments {
    @Flag(name: [.customShort("y"), .long], help: "Do not ask for confirmation.")
    var yes = false
}
