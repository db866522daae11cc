import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TokenAuthCore

/// `tokenauth verify TOKEN [--scopes …] [--resource NAME]`: what a gateway would answer for a credential.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a token (or an Authorization header value) as a gateway would.",
        discussion: """
            Give - as TOKEN to read it from standard input (without echo on a terminal), so that it \
            stays out of the shell history. A successful verification counts as a use of the token, \
            as at a gateway. Exit code 0 when it passes, else 10 + the status (11 malformed, 12 unknown, \
            13 revoked, 14 expired, 15 inactive, 16 owner inactive, 17 forbidden, 18 rate limited).
            """)
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The token, \"Bearer <token>\", or - to read it from standard input.") var token: String
    @Option(help: ArgumentHelp("Space-separated scopes the request needs.", valueName: "list")) var scopes: String?
    @Option(help: ArgumentHelp("The resource the request touches (e.g. project/42/tickets/7): grants qualified with a pattern that covers it count too.",
                               valueName: "name")) var resource: String?

    func run() throws {
        var credential: [UInt8] = token == "-" ? try Terminal.readSecret(prompt: "Token: ") : Array(token.utf8)
        defer { TokenStore.wipe(&credential) }
        let verdict = try store.withStore(creating: false) { Self.verify($0, credential, requiredScopes: scopes, resource: resource) }
        if output.json {
            print(Self.json(verdict, resource: resource))
        } else if verdict.status == .ok {
            print(Self.text(verdict))
        }
        guard verdict.status == .ok else {
            if !output.json {
                Terminal.error("tokenauth: \(verdict.status.name) (\(verdict.status.httpStatus) \(verdict.status.reasonPhrase ?? "")): \(verdict.explanation(resource: resource))")
            }
            throw SilentExit(code: Exit.code(for: verdict.status))
        }
    }

    /// The one place the console verifies: bytes in, verdict out.
    static func verify(_ store: TokenStore, _ credential: [UInt8], requiredScopes: String?, resource: String? = nil) -> Verdict {
        credential.withUnsafeBytes { token in
            Array((requiredScopes ?? "").utf8).withUnsafeBytes { scopes in
                Array((resource ?? "").utf8).withUnsafeBytes { store.verify(credential: token, requiredScopes: scopes, resource: $0) }
            }
        }
    }

    static func kindWord(_ kind: TokenKind?) -> String? {
        switch kind {
        case .personal: "personal"
        case .service: "service"
        case nil: nil
        }
    }

    static func text(_ verdict: Verdict) -> String {
        let now = Format.nowMS()
        var lines = ["\(verdict.status.name) (\(verdict.status.httpStatus)): token \(verdict.tokenID), \(kindWord(verdict.kind) ?? "?"), acting as \(verdict.subject.ifEmpty("-"))"]
        let expires = verdict.expiresAtMS == 0 ? "never" : "\(Format.timestamp(verdict.expiresAtMS)) (\(Format.relative(verdict.expiresAtMS, now: now)))"
        var rate = "unlimited"
        if verdict.rateLimit != 0 {
            rate = "\(verdict.rateRemaining) of \(verdict.rateLimit) left, full again in \(Format.span(verdict.rateResetMS))"
        }
        lines.append("  expires: \(expires)")
        lines.append("  rate limit: \(rate)")
        return lines.joined(separator: "\n")
    }

    static func json(_ verdict: Verdict, resource: String? = nil) -> String {
        JSON.object([
            ("status", .string(verdict.status.name)),
            ("code", .int(Int64(verdict.status.rawValue))),
            ("http_status", .int(Int64(verdict.status.httpStatus))),
            ("kind", JSONValue.optional(kindWord(verdict.kind))),
            ("token_id", .string(verdict.tokenID)),
            ("subject", .string(verdict.subject)),
            ("expires_at", verdict.expiresAtMS == 0 ? .null : .int(verdict.expiresAtMS)),
            ("rate_limit", .int(Int64(verdict.rateLimit))),
            ("rate_remaining", .int(Int64(verdict.rateRemaining))),
            ("rate_reset_ms", .int(verdict.rateResetMS)),
            ("retry_after_ms", .int(verdict.retryAfterMS)),
            ("missing_scope", verdict.missingScope.isEmpty ? .null : .string(verdict.missingScope)),
            ("explanation", .string(verdict.explanation(resource: resource))),
        ]).encoded()
    }
}
