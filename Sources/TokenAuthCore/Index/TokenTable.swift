/// One shard's tokens: an open-addressing table (linear probing, at most half full) of 4-byte slots
/// pointing into a dense array of `IndexedToken`s. A lookup hashes nothing (the digest is already
/// random), touches one slot line and one entry, and compares the 32 bytes without early exit.
/// Removal moves the last entry into the hole and shifts later slots back (no tombstones).
struct TokenTable {
    /// Entry index + 1; 0 marks an empty slot.
    private var slots: [UInt32] = []
    private(set) var entries: [IndexedToken] = []
    /// Where eviction looks next.
    private var cursor = 0

    var count: Int { entries.count }

    /// The entry index of `digest`, or nil.
    func find(_ digest: Digest) -> Int? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: digest.w0) & mask
        while true {
            let slot = Int(slots[position])
            if slot == 0 { return nil }
            if entries[slot - 1].digest.isSame(as: digest) { return slot - 1 }
            position = (position + 1) & mask
        }
    }

    /// Runs `body` on the entry at `index` in place.
    mutating func update<T>(_ index: Int, _ body: (inout IndexedToken) -> T) -> T { body(&entries[index]) }

    /// Adds `entry` (whose digest must not be present); returns its index.
    mutating func insert(_ entry: IndexedToken) -> Int {
        if (entries.count + 1) * 2 > slots.count { grow() }
        entries.append(entry)
        place(entries.count - 1)
        return entries.count - 1
    }

    /// Removes and returns the entry with `digest`, if present.
    mutating func remove(_ digest: Digest) -> IndexedToken? {
        guard let index = find(digest) else { return nil }
        return remove(at: index)
    }

    /// Removes and returns an entry chosen round-robin (eviction), if any.
    mutating func evictOne() -> IndexedToken? {
        guard !entries.isEmpty else { return nil }
        cursor = cursor < entries.count ? cursor : 0
        defer { cursor += 1 }
        return remove(at: cursor)
    }

    /// Removes every entry, handing each to `retire` first.
    mutating func removeAll(_ retire: (inout IndexedToken) -> Void) {
        for index in entries.indices { retire(&entries[index]) }
        entries.removeAll()
        slots.removeAll()
        cursor = 0
    }

    private mutating func remove(at index: Int) -> IndexedToken {
        let mask = slots.count - 1
        // Empty the slot that points at `index`, then shift the rest of its cluster back.
        var hole = slotPosition(of: index)
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
        let last = entries.count - 1
        if index != last {
            slots[slotPosition(of: last)] = UInt32(index + 1)
            entries.swapAt(index, last)
        }
        return entries.removeLast()
    }

    private func slotPosition(of index: Int) -> Int {
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: entries[index].digest.w0) & mask
        while Int(slots[position]) != index + 1 { position = (position + 1) & mask }
        return position
    }

    private mutating func place(_ index: Int) {
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: entries[index].digest.w0) & mask
        while slots[position] != 0 { position = (position + 1) & mask }
        slots[position] = UInt32(truncatingIfNeeded: index + 1)
    }

    private mutating func grow() {
        slots = [UInt32](repeating: 0, count: max(16, slots.count * 2))
        for index in entries.indices { place(index) }
    }
}
