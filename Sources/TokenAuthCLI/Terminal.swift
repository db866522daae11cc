import TokenAuthCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard streams, terminals, confirmations, and writing secrets without copying them into Strings.
enum Terminal {
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Writes one line on standard error.
    static func error(_ line: String) {
        fflush(stdout)
        fputs(line + "\n", stderr)
    }

    /// Writes `text` on standard output (no newline added).
    static func write(_ text: String) { fputs(text, stdout) }

    /// Writes raw bytes on standard output (used for a secret, which is never turned into a String).
    static func write(bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { _ = fwrite(base, 1, raw.count, stdout) }
        }
    }

    /// Asks `question` on a terminal and returns true for "y"/"yes". Without a terminal on standard
    /// input (a script), or with `--yes`, it does not ask and returns true.
    static func confirm(_ question: String, assumeYes: Bool) -> Bool {
        guard !assumeYes, stdinIsTerminal else { return true }
        fflush(stdout)
        fputs("\(question) [y/N] ", stderr)
        guard let answer = readLine(strippingNewline: true) else { return false }
        let word = answer.trimmingSpaces().lowercased()
        return word == "y" || word == "yes"
    }

    /// Reads a credential from standard input: on a terminal it prompts without echo; otherwise it
    /// reads everything and removes one trailing newline ("\n" or "\r\n").
    static func readSecret(prompt: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        if stdinIsTerminal {
            fputs(prompt, stderr)
            var saved = termios()
            let canHide = tcgetattr(STDIN_FILENO, &saved) == 0
            if canHide {
                var hidden = saved
                hidden.c_lflag &= ~tcflag_t(ECHO)
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden)
            }
            defer {
                if canHide { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
                fputs("\n", stderr)
            }
            while true {
                let c = getchar()
                if c == EOF || c == 0x0A { break }
                bytes.append(UInt8(truncatingIfNeeded: c))
            }
        } else {
            var chunk = [UInt8](repeating: 0, count: 4096)
            while bytes.count <= 1 << 20 {
                let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw CLIFailure(Exit.storage, "cannot read standard input: \(String(cString: strerror(errno)))")
                }
                if count == 0 { break }
                bytes.append(contentsOf: chunk[0..<count])
            }
            TokenStore.wipe(&chunk)
        }
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        return bytes
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
