#if canImport(Glibc)
import Glibc
#endif

/// `ta_last_error()`: the detail of the last failed call, per thread (libgit2's rule, not SQLite's
/// racy per-connection errmsg). Owned by the library: valid until this thread's next call.
enum LastError {
    /// The current message: static text or the owned copy below.
    private static let messageKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The malloc'd copy this thread owns, if the message is not static.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()

    private nonisolated(unsafe) static let empty: UnsafePointer<CChar> = UnsafeRawPointer(("" as StaticString).utf8Start)
        .assumingMemoryBound(to: CChar.self)

    static func clear() {
        guard pthread_getspecific(messageKey) != nil else { return }
        pthread_setspecific(messageKey, nil)
        guard let stored = pthread_getspecific(key) else { return }
        pthread_setspecific(key, nil)
        free(stored)
    }

    /// Static text: no copy is made.
    static func set(_ message: StaticString) {
        clear()
        pthread_setspecific(messageKey, UnsafeRawPointer(message.utf8Start))
    }

    static func set(_ message: String) {
        clear()
        var message = message
        let copy = message.withUTF8 { bytes -> UnsafeMutablePointer<CChar>? in
            guard let stored = malloc(bytes.count + 1)?.assumingMemoryBound(to: UInt8.self) else { return nil }
            if let source = bytes.baseAddress { stored.update(from: source, count: bytes.count) }
            stored[bytes.count] = 0
            return UnsafeMutableRawPointer(stored).assumingMemoryBound(to: CChar.self)
        }
        pthread_setspecific(key, copy)
        pthread_setspecific(messageKey, copy)
    }

    static var current: UnsafePointer<CChar> {
        guard let stored = pthread_getspecific(messageKey) else { return empty }
        return UnsafePointer(stored.assumingMemoryBound(to: CChar.self))
    }
}
