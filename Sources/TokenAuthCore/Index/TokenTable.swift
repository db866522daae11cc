/// One shard's tokens: an open-addressing table (linear probing, at most half full) of 4-byte slots
/// pointing into a dense array of `IndexedToken`s, each on its own 128-byte boundary (one pair of
/// cache lines). A lookup hashes nothing (the digest is already random), touches one slot and one
/// entry, and compares the 32 bytes without early exit. Removal moves the last entry into the hole
/// and shifts later slots back (no tombstones). Not copyable: it owns its entries' memory.
struct TokenTable: ~Copyable {
    static let entryAlignment = 128

    /// Entry index + 1; 0 marks an empty slot.
    private var slots: [UInt32] = []
    private var entries: UnsafeMutablePointer<IndexedToken>?
    private var capacity = 0
    private(set) var count = 0
    /// Where eviction looks next.
    private var cursor = 0

    init() {}

    deinit {
        if let entries {
            entries.deinitialize(count: count)
            UnsafeMutableRawPointer(entries).deallocate()
        }
    }

    /// The entry index of `digest`, or nil.
    func find(_ digest: Digest) -> Int? {
        guard let entries, !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: digest.w0) & mask
        while true {
            let slot = Int(slots[position])
            if slot == 0 { return nil }
            if entries[slot - 1].digest.isSame(as: digest) { return slot - 1 }
            position = (position + 1) & mask
        }
    }

    /// The digest of the entry at `index` (which must be below `count`).
    func digest(at index: Int) -> Digest? { index < count ? entries?[index].digest : nil }

    /// Runs `body` on the entry at `index` (below `count`) in place.
    mutating func update<T>(_ index: Int, _ body: (inout IndexedToken) -> T) -> T? {
        guard let entries, index < count else { return nil }
        return body(&entries[index])
    }

    /// Adds `entry` (whose digest must not be present); returns its index.
    mutating func insert(_ entry: IndexedToken) -> Int {
        if count == capacity { reserve(max(4, capacity * 2)) }
        if (count + 1) * 2 > slots.count { growSlots() }
        guard let entries else { return 0 } // reserve allocated them
        (entries + count).initialize(to: entry)
        count += 1
        place(count - 1)
        return count - 1
    }

    /// Removes and returns the entry with `digest`, if present.
    mutating func remove(_ digest: Digest) -> IndexedToken? {
        guard let index = find(digest) else { return nil }
        return remove(at: index)
    }

    /// Removes and returns an entry chosen round-robin (eviction), if any.
    mutating func evictOne() -> IndexedToken? {
        guard count > 0 else { return nil }
        cursor = cursor < count ? cursor : 0
        defer { cursor += 1 }
        return remove(at: cursor)
    }

    /// Removes every entry, handing each to `retire` first, and frees the memory.
    mutating func removeAll(_ retire: (inout IndexedToken) -> Void) {
        if let entries {
            for index in 0..<count { retire(&entries[index]) }
            entries.deinitialize(count: count)
            UnsafeMutableRawPointer(entries).deallocate()
        }
        entries = nil
        capacity = 0
        count = 0
        slots = []
        cursor = 0
    }

    private mutating func remove(at index: Int) -> IndexedToken? {
        guard let entries, index < count else { return nil }
        let mask = slots.count - 1
        // Empty the slot that points at `index`, then shift the rest of its cluster back.
        var hole = slotPosition(of: index, in: entries)
        slots[hole] = 0
        var position = (hole + 1) & mask
        while slots[position] != 0 {
            let home = Int(truncatingIfNeeded: entries[Int(slots[position]) - 1].digest.w0) & mask
            // Move the slot into the hole unless its home lies cyclically in (hole, position].
            if (position - home) & mask >= (position - hole) & mask {
                slots[hole] = slots[position]
                slots[position] = 0
                hole = position
            }
            position = (position + 1) & mask
        }
        // Fill the entry's place with the last entry.
        let last = count - 1
        let removed = (entries + index).move()
        if index != last {
            slots[slotPosition(of: last, in: entries)] = UInt32(truncatingIfNeeded: index + 1)
            (entries + index).moveInitialize(from: entries + last, count: 1)
        }
        count -= 1
        return removed
    }

    private func slotPosition(of index: Int, in entries: UnsafeMutablePointer<IndexedToken>) -> Int {
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: entries[index].digest.w0) & mask
        while Int(slots[position]) != index + 1 { position = (position + 1) & mask }
        return position
    }

    private mutating func place(_ index: Int) {
        guard let entries else { return }
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: entries[index].digest.w0) & mask
        while slots[position] != 0 { position = (position + 1) & mask }
        slots[position] = UInt32(truncatingIfNeeded: index + 1)
    }

    private mutating func growSlots() {
        slots = [UInt32](repeating: 0, count: max(16, slots.count * 2))
        for index in 0..<count { place(index) }
    }

    private mutating func reserve(_ newCapacity: Int) {
        let stride = MemoryLayout<IndexedToken>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: newCapacity * stride, alignment: Self.entryAlignment)
        let moved = raw.bindMemory(to: IndexedToken.self, capacity: newCapacity)
        if let entries {
            moved.moveInitialize(from: entries, count: count)
            UnsafeMutableRawPointer(entries).deallocate()
        }
        entries = moved
        capacity = newCapacity
    }
}
