#if Console
import Synchronization

/// A signed-in member's session, kept on the server; the browser holds only its id, in an HttpOnly,
/// SameSite=Strict cookie.
struct Session: Sendable {
    let id: String
    let member: String
    /// The synchronizer token every POST of this session must carry.
    let csrfToken: String
    /// True when the member came from a trusted proxy's header rather than a sign-in link.
    let fromTrustedHeader: Bool
    fileprivate(set) var lastSeen: ContinuousClock.Instant
    /// A message for the next page shown (after a POST and its redirect), shown once.
    fileprivate(set) var notice: String?
    /// Ids of the forms shown that issue a secret, each good for one submission: a reload of the
    /// page that showed the secret resubmits a spent id, and shows the secret to no one.
    fileprivate(set) var openForms: [String] = []
}

/// The sessions of one console process. Sessions end on sign-out, after `idleTimeout` without a
/// request, or when the process stops; there are at most `limit` at once (the oldest idle goes first).
final class SessionStore: Sendable {
    private let sessions = Mutex<[String: Session]>([:])
    private let idleTimeout: Duration
    private let limit = 10_000

    init(idleTimeoutMS: Int64) { idleTimeout = .milliseconds(idleTimeoutMS) }

    /// Starts a session for `member`.
    func start(member: String, fromTrustedHeader: Bool) -> Session {
        let now = ContinuousClock.now
        let session = Session(id: Secrets.randomHex(bytes: 32), member: member, csrfToken: Secrets.randomHex(bytes: 32),
                              fromTrustedHeader: fromTrustedHeader, lastSeen: now)
        sessions.withLock { all in
            all = all.filter { now - $0.value.lastSeen < idleTimeout }
            if all.count >= limit, let oldest = all.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
                all[oldest.key] = nil
            }
            all[session.id] = session
        }
        return session
    }

    /// The live session with this id, marked as used now; nil (and forgotten) once idle too long.
    func resume(_ id: String) -> Session? {
        let now = ContinuousClock.now
        return sessions.withLock { all in
            guard var session = all[id] else { return nil }
            guard now - session.lastSeen < idleTimeout else {
                all[id] = nil
                return nil
            }
            session.lastSeen = now
            all[id] = session
            return session
        }
    }

    func end(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// Keeps `notice` for the session's next page.
    func leaveNotice(_ notice: String, for id: String) {
        sessions.withLock { $0[id]?.notice = notice }
    }

    /// A new single-use form id for this session (the newest 20 stay valid).
    func openForm(for id: String) -> String {
        let form = Secrets.randomHex(bytes: 16)
        sessions.withLock { all in
            all[id]?.openForms.append(form)
            if let count = all[id]?.openForms.count, count > 20 { all[id]?.openForms.removeFirst(count - 20) }
        }
        return form
    }

    /// Spends a form id: true the first time for an id this session opened, false ever after.
    func spendForm(_ form: String, for id: String) -> Bool {
        sessions.withLock { all in
            guard let index = all[id]?.openForms.firstIndex(of: form) else { return false }
            all[id]?.openForms.remove(at: index)
            return true
        }
    }

    /// The notice left for this page, if any, and forgets it.
    func takeNotice(for id: String) -> String? {
        sessions.withLock { all in
            defer { all[id]?.notice = nil }
            return all[id]?.notice
        }
    }
}

/// The single-use codes of `--as MEMBER` sign-in links. Each code works once; when one is used, the
/// next is issued (and printed), so a second browser can sign in too.
final class SignInCodes: Sendable {
    private let pending = Mutex<[String: String]>([:])

    /// A new code for `member`.
    func issue(for member: String) -> String {
        let code = Secrets.randomHex(bytes: 24)
        pending.withLock { $0[code] = member }
        return code
    }

    /// The member a code was issued for, once: the code is spent.
    func redeem(_ code: String) -> String? {
        pending.withLock { $0.removeValue(forKey: code) }
    }
}

/// Random values for session ids, CSRF tokens and sign-in codes.
enum Secrets {
    /// `bytes` bytes from the system's CSPRNG (getrandom), as lower-case hex.
    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes * 2)
        for _ in 0..<bytes {
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares two strings in time that depends only on their lengths.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
#endif
