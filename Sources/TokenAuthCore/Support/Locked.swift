#if canImport(Glibc)
import Glibc
#endif

/// A value guarded by a pthread mutex. Mutex and value live at stable heap addresses (as POSIX
/// requires of the mutex), outside Swift's class-property exclusivity tracking.
final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let value: UnsafeMutablePointer<Value>

    init(_ initial: Value) {
        value = UnsafeMutablePointer<Value>.allocate(capacity: 1)
        value.initialize(to: initial)
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}

/// `count` values (a power of two), each behind its own mutex, in one allocation: picking a shard
/// costs no reference counting (unlike an array of `Locked` objects) and no division. Each mutex and
/// each value sits on its own pair of cache lines, so threads working on different shards share no
/// written cache line.
final class ShardedLocked<Value: ~Copyable>: @unchecked Sendable {
    let count: Int
    private let mask: Int
    /// Bytes from one shard's mutex (or value) to the next: two cache lines, since x86 fetches pairs.
    private static var mutexStride: Int { (MemoryLayout<pthread_mutex_t>.stride + 127) / 128 * 128 }
    private static var valueStride: Int { (MemoryLayout<Value>.stride + 127) / 128 * 128 }
    private let mutexes: UnsafeMutableRawPointer
    private let values: UnsafeMutableRawPointer

    /// `count` shards, rounded up to a power of two.
    init(count: Int, _ make: () -> Value) {
        var shards = 1
        while shards < count { shards <<= 1 }
        self.count = shards
        mask = shards - 1
        mutexes = .allocate(byteCount: self.count * Self.mutexStride, alignment: 128)
        values = .allocate(byteCount: self.count * Self.valueStride, alignment: 128)
        for index in 0..<self.count {
            let mutex = (mutexes + index * Self.mutexStride).bindMemory(to: pthread_mutex_t.self, capacity: 1)
            mutex.initialize(to: pthread_mutex_t())
            pthread_mutex_init(mutex, nil)
            (values + index * Self.valueStride).bindMemory(to: Value.self, capacity: 1).initialize(to: make())
        }
    }

    deinit {
        for index in 0..<count {
            pthread_mutex_destroy(mutex(index))
            value(index).deinitialize(count: 1)
        }
        mutexes.deallocate()
        values.deallocate()
    }

    private func mutex(_ index: Int) -> UnsafeMutablePointer<pthread_mutex_t> {
        (mutexes + index * Self.mutexStride).assumingMemoryBound(to: pthread_mutex_t.self)
    }

    private func value(_ index: Int) -> UnsafeMutablePointer<Value> {
        (values + index * Self.valueStride).assumingMemoryBound(to: Value.self)
    }

    /// Runs `body` on shard `index mod count` under its mutex.
    func withShard<Result>(_ index: Int, _ body: (inout Value) throws -> Result) rethrows -> Result {
        let slot = index & mask
        let mutex = mutex(slot)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value(slot).pointee)
    }

    func forEach(_ body: (inout Value) throws -> Void) rethrows {
        for index in 0..<count { try withShard(index, body) }
    }
}
