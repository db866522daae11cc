import Synchronization

/// Records as revocations the rotations' grace periods that this handle's clock says have ended.
/// Until then a grace period is a time that every verifying host judges by its own clock, so a host
/// whose clock is behind would keep accepting the old token for as long as its clock lags; once any
/// handle of the store has recorded the end, every host refuses it as a state (docs/DECISIONS.md,
/// "Clocks"). Runs on the store's background thread: one indexed read per tick, a durable write
/// only when a grace period is due.
final class GraceEnds: Sendable {
    private let backend: any StorageBackend
    private let clock: StoreClock
    /// The first tick, when the handle opens, only arms it: a host (or a test) that sets the
    /// handle's clock right after `ta_open` does so before any grace period is judged.
    private let armed = Atomic<Bool>(false)

    init(backend: any StorageBackend, clock: StoreClock) {
        self.backend = backend
        self.clock = clock
    }

    /// Records the grace periods due by now; returns how many.
    @discardableResult
    func recordDue() throws -> Int {
        guard armed.exchange(true, ordering: .relaxed) else { return 0 }
        let now = clock.nowMS
        guard let earliest = try backend.read({ try $0.earliestGraceEnd() }), earliest <= now else { return 0 }
        return try backend.write(.full) { try $0.endGraces(dueBy: now) }
    }
}
