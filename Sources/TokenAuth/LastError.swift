#if canImport(Glibc)
import Glibc
#endif

/// `ta_last_error()`: the detail of the last failed call, per thread (libgit2's rule, not SQLite's
/// racy per-connection errmsg). Owned by the library: valid until this thread's next call.
enum LastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()

    private nonisolated(unsafe) static let empty: UnsafePointer<CChar> = UnsafeRawPointer(("" as StaticString).utf8Start)
        .assumingMemoryBound(to: CChar.self)

    static func clear() {
        guard let stored = pthread_getspecific(key) else { return }
        pthread_setspecific(key, nil)
        free(stored)
    }

    static func set(_ message: String) {
        clear()
        pthread_setspecific(key, strdup(message))
    }

    static var current: UnsafePointer<CChar> {
        guard let stored = pthread_getspecific(key) else { return empty }
        return UnsafePointer(stored.assumingMemoryBound(to: CChar.self))
    }
}
