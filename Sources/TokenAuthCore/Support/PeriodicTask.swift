#if canImport(Glibc)
import Glibc
#endif

/// A background thread that runs `work` once when it starts, then every `intervalMS` until stopped,
/// at a lower priority than the host's threads. `stop` wakes it at once and joins it, so no work runs
/// after `stop` returns.
final class PeriodicTask: @unchecked Sendable {
    private let intervalMS: Int64
    private let work: @Sendable () -> Void
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var stopping = false
    private var thread: pthread_t?

    init(intervalMS: Int64, work: @escaping @Sendable () -> Void) {
        self.intervalMS = max(intervalMS, 1)
        self.work = work
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Starts the thread; false if the system refused to create one.
    func start() -> Bool {
        var handle = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&handle, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<PeriodicTask>.fromOpaque(raw).takeRetainedValue().loop()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<PeriodicTask>.fromOpaque(context).release()
            return false
        }
        thread = handle
        return true
    }

    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    /// The thread's nice value: bookkeeping yields the CPU to the threads verifying requests.
    static let niceness: Int32 = 10

    private func loop() {
        // Linux keeps a nice value per thread; who = 0 is the calling thread (a failure only leaves
        // the default priority).
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceness)
        work()
        pthread_mutex_lock(mutex)
        while !stopping {
            var deadline = timespec()
            clock_gettime(CLOCK_REALTIME, &deadline)
            let nanoseconds = Int64(deadline.tv_nsec) + (intervalMS % 1000) * 1_000_000
            deadline.tv_sec += Int(intervalMS / 1000) + Int(nanoseconds / 1_000_000_000)
            deadline.tv_nsec = Int(nanoseconds % 1_000_000_000)
            pthread_cond_timedwait(condition, mutex, &deadline)
            if stopping { break }
            pthread_mutex_unlock(mutex)
            work()
            pthread_mutex_lock(mutex)
        }
        pthread_mutex_unlock(mutex)
    }
}
