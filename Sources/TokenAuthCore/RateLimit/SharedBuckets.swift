import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The rate-limit buckets of every process of one host that opens the same store: a table in a
/// memory-mapped file beside the database (`tokens.db-ratelimit`, as SQLite keeps `tokens.db-shm`),
/// or in private memory for a store no other process can open. A take is a load and one
/// compare-and-swap on the bucket's 64-bit TAT (`GCRA`): no lock, no system call. A process killed
/// in the middle of a take has either swapped its value in or not: nothing stays locked, and what
/// it took comes back with time like any other unit.
///
/// Layout: a 4 KiB header (magic, version, slot count), then `slotCount` slots of two words: the key
/// (the token digest's second word, never 0) and the bucket's TAT. Slots are claimed by CAS on the
/// key from 0, found by linear probing from the digest's third word. A slot whose bucket is full
/// again (TAT at or before now) holds nothing worth keeping, so a new token may take it over: the
/// table forgets idle tokens by itself and is full only when more than `slotCount` tokens near the
/// probe's start are short of capacity at once. Then `take` answers nil and the caller falls back.
final class SharedBuckets: @unchecked Sendable {
    static let magic: UInt64 = 0x5441_524C_0000_0001 // "TARL", layout 1
    static let headerBytes = 4096
    /// 262,144 slots: 4 MiB, touched only where buckets live.
    static let defaultSlotCount = 1 << 18
    /// Slots looked at for one token before the table counts as full for it.
    static let probeLimit = 16

    private let words: UnsafeMutablePointer<Atomic<UInt64>>
    private let mapping: UnsafeMutableRawPointer
    private let mappedBytes: Int
    let slotCount: Int
    /// The file, or nil for private memory.
    let path: String?

    private init(mapping: UnsafeMutableRawPointer, bytes: Int, slotCount: Int, path: String?) {
        self.mapping = mapping
        mappedBytes = bytes
        self.slotCount = slotCount
        self.path = path
        words = (mapping + Self.headerBytes).bindMemory(to: Atomic<UInt64>.self, capacity: slotCount * 2)
    }

    deinit { munmap(mapping, mappedBytes) }

    static func bytes(slots: Int) -> Int { headerBytes + slots * 16 }

    /// A table in private memory: the buckets of one handle.
    static func inMemory(slots: Int = defaultSlotCount) throws -> SharedBuckets {
        let bytes = bytes(slots: slots)
        let mapping = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapping, mapping != MAP_FAILED else { throw TokenAuthError(.storageError, "cannot map rate-limit buckets: \(errnoText())") }
        let table = SharedBuckets(mapping: mapping, bytes: bytes, slotCount: slots, path: nil)
        try table.claimHeader()
        return table
    }

    /// The table in the file at `path`, created (with the mode and owner of `like`, the database
    /// file) and fully allocated if it does not exist, so that no page of the mapping can fault
    /// for want of disk space later (SIGBUS in the host process).
    static func file(at path: String, like database: String, slots: Int = defaultSlotCount) throws -> SharedBuckets {
        var model = stat()
        let hasModel = stat(database, &model) == 0
        let mode = hasModel ? mode_t(model.st_mode & 0o666) : 0o644
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw TokenAuthError(.storageError, "cannot open \(path): \(errnoText())") }
        defer { close(fd) }
        if hasModel, geteuid() == 0 { _ = fchown(fd, model.st_uid, model.st_gid) }
        let bytes = bytes(slots: slots)
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw TokenAuthError(.storageError, "cannot stat \(path): \(errnoText())") }
        guard info.st_size <= bytes else {
            throw TokenAuthError(.storageError, "\(path) is \(info.st_size) bytes, not a rate-limit table of \(bytes)")
        }
        if info.st_size < bytes {
            let failed = posix_fallocate(fd, 0, off_t(bytes))
            guard failed == 0 else { throw TokenAuthError(.storageError, "cannot allocate \(path): \(String(cString: strerror(failed)))") }
        }
        let mapping = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let mapping, mapping != MAP_FAILED else { throw TokenAuthError(.storageError, "cannot map \(path): \(errnoText())") }
        let table = SharedBuckets(mapping: mapping, bytes: bytes, slotCount: slots, path: path)
        try table.claimHeader()
        return table
    }

    /// Marks a zero-filled table as ours, or checks that an existing one has this layout. Every
    /// opener writes the same version and size before the magic, so racing openers agree.
    private func claimHeader() throws {
        let header = mapping.bindMemory(to: Atomic<UInt64>.self, capacity: 2)
        let layout = UInt64(slotCount)
        _ = header[1].compareExchange(expected: 0, desired: layout, ordering: .relaxed)
        _ = header[0].compareExchange(expected: 0, desired: Self.magic, ordering: .releasing)
        guard header[0].load(ordering: .acquiring) == Self.magic, header[1].load(ordering: .relaxed) == layout else {
            throw TokenAuthError(.storageError, "\(path ?? "the rate-limit table") has another layout")
        }
    }

    /// Takes from (or, without `spend`, reads) the bucket of the token with `digest` at `now`; nil
    /// when no slot is free for it within the probe limit.
    @inline(__always)
    func take(_ digest: Digest, _ rule: GCRA, now: Int64, spend: Bool) -> BucketReading? {
        let key = digest.w2 == 0 ? 1 : digest.w2
        var slot = Int(truncatingIfNeeded: digest.w3 % UInt64(slotCount))
        for _ in 0..<Self.probeLimit {
            if let reading = take(at: slot, key: key, rule, now: now, spend: spend) { return reading }
            slot = slot + 1 == slotCount ? 0 : slot + 1
        }
        return nil
    }

    /// The bucket in `slot` if it is this token's, or once it is claimed for it; nil if the slot
    /// belongs to another token whose bucket is not full.
    @inline(__always)
    private func take(at slot: Int, key: UInt64, _ rule: GCRA, now: Int64, spend: Bool) -> BucketReading? {
        let keyWord = words + 2 * slot
        let tatWord = keyWord + 1
        while true {
            var owner = keyWord.pointee.load(ordering: .acquiring)
            while owner != key {
                // A free slot, or one whose bucket is full again (nothing to keep): claim it.
                guard owner == 0 || Int64(bitPattern: tatWord.pointee.load(ordering: .acquiring)) <= now else { return nil }
                let (claimed, current) = keyWord.pointee.compareExchange(expected: owner, desired: key,
                                                                         ordering: .acquiringAndReleasing)
                if claimed { break }
                owner = current
            }
            var stored = tatWord.pointee.load(ordering: .acquiring)
            while true {
                let (next, reading) = rule.take(tat: Int64(bitPattern: stored), now: now, spend: spend)
                guard let next else { return reading }
                let (swapped, current) = tatWord.pointee.compareExchange(expected: stored, desired: UInt64(bitPattern: next),
                                                                         ordering: .acquiringAndReleasing)
                // Another token may have taken the (full) slot over between the key check and the
                // swap: the unit then went to its bucket (it gets one fewer, never one more), and
                // this token takes again, from its own.
                if swapped, keyWord.pointee.load(ordering: .acquiring) == key { return reading }
                if swapped { break }
                stored = current
            }
        }
    }

    /// How many slots hold a bucket that is not full at `now` (a diagnostic: reads every slot).
    func bucketsInUse(now: Int64) -> Int {
        var used = 0
        for slot in 0..<slotCount where words[2 * slot].load(ordering: .relaxed) != 0 {
            if Int64(bitPattern: words[2 * slot + 1].load(ordering: .relaxed)) > now { used += 1 }
        }
        return used
    }
}

/// The text of the current `errno`.
func errnoText() -> String { String(cString: strerror(errno)) }
