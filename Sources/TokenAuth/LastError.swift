#if canImport(Glibc)
import Glibc
#endif

/// `ta_last_error()`: the detail of the last failed call, per thread (libgit2's rule, not SQLite's
/// racy per-connection errmsg). Owned by the library: valid until this thread's next call.
/// One thread-specific slot per thread, made on its first failed call and freed when the thread
/// exits: clearing it on every call is one `pthread_getspecific`, and setting it writes no key.
enum LastError {
    /// A thread's message: static text, or `owned`, a malloc'd copy this thread frees.
    private struct Slot {
        var message: UnsafePointer<CChar>?
        var owned: UnsafeMutablePointer<CChar>?
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in
            guard let slot = raw?.assumingMemoryBound(to: Slot.self) else { return }
            free(slot.pointee.owned)
            free(slot)
        }
        return key
    }()

    private nonisolated(unsafe) static let empty: UnsafePointer<CChar> = UnsafeRawPointer(("" as StaticString).utf8Start)
        .assumingMemoryBound(to: CChar.self)

    /// This thread's slot, or nil before its first failed call.
    @inline(__always)
    private static var slot: UnsafeMutablePointer<Slot>? { pthread_getspecific(key)?.assumingMemoryBound(to: Slot.self) }

    /// This thread's slot, made if needed; nil only when memory is exhausted.
    private static func madeSlot() -> UnsafeMutablePointer<Slot>? {
        if let slot { return slot }
        guard let made = malloc(MemoryLayout<Slot>.size)?.bindMemory(to: Slot.self, capacity: 1) else { return nil }
        made.initialize(to: Slot())
        guard pthread_setspecific(key, made) == 0 else {
            free(made)
            return nil
        }
        return made
    }

    /// Forgets this thread's message (every call starts so).
    static func clear() {
        guard let slot, slot.pointee.message != nil else { return }
        free(slot.pointee.owned)
        slot.pointee = Slot()
    }

    /// Static text: no copy is made.
    static func set(_ message: StaticString) {
        guard let slot = madeSlot() else { return }
        free(slot.pointee.owned)
        slot.pointee = Slot(message: UnsafeRawPointer(message.utf8Start).assumingMemoryBound(to: CChar.self), owned: nil)
    }

    /// A copy of `message`, kept until this thread's next call.
    static func set(_ message: String) {
        guard let slot = madeSlot() else { return }
        free(slot.pointee.owned)
        var message = message
        let copy = message.withUTF8 { bytes -> UnsafeMutablePointer<CChar>? in
            guard let stored = malloc(bytes.count + 1)?.assumingMemoryBound(to: UInt8.self) else { return nil }
            if let source = bytes.baseAddress { stored.update(from: source, count: bytes.count) }
            stored[bytes.count] = 0
            return UnsafeMutableRawPointer(stored).assumingMemoryBound(to: CChar.self)
        }
        slot.pointee = Slot(message: copy.map { UnsafePointer($0) }, owned: copy)
    }

    /// This thread's message, "" when its last call succeeded.
    static var current: UnsafePointer<CChar> { slot?.pointee.message ?? empty }
}
