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

/// `count` values, each behind its own mutex, in one allocation: picking a shard costs no reference
/// counting (unlike an array of `Locked` objects), so threads working on different shards share
/// no written cache line.
final class ShardedLocked<Value>: @unchecked Sendable {
    let count: Int
    private let mutexes: UnsafeMutablePointer<pthread_mutex_t>
    private let values: UnsafeMutablePointer<Value>

    init(count: Int, _ make: () -> Value) {
        self.count = max(count, 1)
        mutexes = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: self.count)
        values = UnsafeMutablePointer<Value>.allocate(capacity: self.count)
        for index in 0..<self.count {
            (mutexes + index).initialize(to: pthread_mutex_t())
            pthread_mutex_init(mutexes + index, nil)
            (values + index).initialize(to: make())
        }
    }

    deinit {
        for index in 0..<count { pthread_mutex_destroy(mutexes + index) }
        mutexes.deallocate()
        values.deinitialize(count: count)
        values.deallocate()
    }

    /// Runs `body` on shard `index % count` under its mutex.
    func withShard<Result>(_ index: Int, _ body: (inout Value) throws -> Result) rethrows -> Result {
        let slot = index % count
        pthread_mutex_lock(mutexes + slot)
        defer { pthread_mutex_unlock(mutexes + slot) }
        return try body(&values[slot])
    }

    func forEach(_ body: (inout Value) throws -> Void) rethrows {
        for index in 0..<count { try withShard(index, body) }
    }
}
