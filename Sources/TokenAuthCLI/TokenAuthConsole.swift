import ArgumentParser
import CTokenAuth
import TokenAuthCore

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `tokenauth`: the command-line console for the people who administer API access tokens. Every
/// command goes through TokenAuthCore's `TokenStore`, exactly as the C library does.
@main
struct TokenAuthConsole: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenauth",
        abstract: "Administer the API access tokens of a libtokenauth database.",
        discussion: """
            The database is --db PATH, else $TOKENAUTH_DB, else ./tokens.db. --as MEMBER performs a \
            token command as that member (IAM decides); without it the host acts, recorded as "system". \
            Reading commands take --json for scripts.

            Exit codes: 0 ok; 1 scan found a live token; 2 usage error or invalid argument; \
            3 not found; 4 permission denied; 5 conflict; 6 unknown scope; 7 storage error \
            (or no database at the path, or unreadable input); 8 internal error; 9 confirmation \
            declined; verify: 10 + the verification status (11 malformed, 12 unknown token, \
            13 revoked, 14 expired, 15 inactive, 16 owner inactive, 17 forbidden, 18 rate limited).
            """,
        version: TA_VERSION_STRING,
        subcommands: [
            TokenCommand.self, MemberCommand.self, ScopeCommand.self, VerifyCommand.self,
            StatsCommand.self, AuditCommand.self, ReportCommand.self, ScanCommand.self,
        ] + webCommands)

    static func main() {
        // Whole lines on a terminal (scan prints as it goes); large blocks into a pipe or a file.
        setvbuf(stdout, nil, Terminal.stdoutIsTerminal ? _IOLBF : _IOFBF, 1 << 16)
        let arguments = hoistingGlobalOptions(Array(CommandLine.arguments.dropFirst()))
        let code: Int32
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            code = Exit.ok
        } catch {
            code = handle(error, command: commandPath(arguments).names)
        }
        fflush(stdout)
        Glibc.exit(code)
    }

    /// Prints what a failure needs to say, on one line of standard error, and returns the exit code.
    static func handle(_ error: any Error, command: [String] = []) -> Int32 {
        switch error {
        case let failure as SilentExit:
            return failure.code
        case let failure as CLIFailure:
            Terminal.error("tokenauth: \(failure.message)")
            return failure.code
        case let failure as TokenAuthError:
            Terminal.error("tokenauth: \(failure.status.name): \(failure.message)")
            return Exit.code(for: failure.status)
        case let exitCode as ExitCode:
            return exitCode.rawValue
        default:
            // Help, --version, and the argument parser's own errors.
            if exitCode(for: error) == .success {
                Terminal.write(fullMessage(for: error) + "\n")
                return Exit.ok
            }
            var message = message(for: error)
            if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
            let oneLine = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
            let help = (["tokenauth"] + command + ["--help"]).joined(separator: " ")
            Terminal.error("tokenauth: \(oneLine.joined(separator: "; ")) (see '\(help)')")
            return Exit.usage
        }
    }
}

extension TokenAuthConsole {
    /// The options every command shares (`--db`, `--as`, `--json`) may also come before the command
    /// words (`tokenauth --db x.db token list`): they are moved to just after them, where the
    /// argument parser expects a command's options. A command that does not take one still refuses it.
    static func hoistingGlobalOptions(_ arguments: [String]) -> [String] {
        var hoisted: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if (argument == "--db" || argument == "--as"), index + 1 < arguments.count {
                hoisted += [argument, arguments[index + 1]]
                index += 2
            } else if argument.hasPrefix("--db=") || argument.hasPrefix("--as=") || argument == "--json" {
                hoisted.append(argument)
                index += 1
            } else {
                break
            }
        }
        guard !hoisted.isEmpty else { return arguments }
        let rest = Array(arguments[index...])
        let words = commandPath(rest).count
        return Array(rest[..<words]) + hoisted + Array(rest[words...])
    }

    /// The leading command words of `arguments` (e.g. ["token", "list"]) and how many there are.
    static func commandPath(_ arguments: [String]) -> (names: [String], count: Int) {
        var command: any ParsableCommand.Type = TokenAuthConsole.self
        var names: [String] = []
        for argument in arguments {
            guard let next = command.configuration.subcommands.first(where: {
                $0._commandName == argument || $0.configuration.aliases.contains(argument)
            }) else { break }
            names.append(argument)
            command = next
        }
        return (names, names.count)
    }
}

/// `serve` exists in builds with the Console trait (`make cli`).
#if Console
private let webCommands: [any ParsableCommand.Type] = [ServeCommand.self]
#else
private let webCommands: [any ParsableCommand.Type] = []
#endif

extension Substring {
    fileprivate func trimmingCharacters() -> String { String(self).trimmingSpaces() }
}
