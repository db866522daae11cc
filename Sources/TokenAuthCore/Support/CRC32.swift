/// CRC-32/ISO-HDLC (the polynomial and conventions of zlib's crc32), for the token checksum.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        return crc
    }

    /// Sixteen tables for slicing-by-16 (Intel's slicing method, as zlib uses it by eight): table `k`
    /// holds each byte's CRC shifted by `k` more zero bytes, so that sixteen bytes take one step
    /// whose sixteen loads are independent (a token's random part is two steps, not four). At a
    /// fixed address, read without bounds checks or reference counting.
    private nonisolated(unsafe) static let slices: UnsafePointer<UInt32> = {
        let pointer = UnsafeMutablePointer<UInt32>.allocate(capacity: 16 * 256)
        pointer.initialize(from: table, count: 256)
        for slice in 1..<16 {
            for index in 0..<256 {
                let previous = pointer[(slice - 1) * 256 + index]
                pointer[slice * 256 + index] = (previous >> 8) ^ pointer[Int(previous & 0xFF)]
            }
        }
        return UnsafePointer(pointer)
    }()

    /// Feeds `count` bytes at `bytes` into a running (pre-inverted) CRC.
    static func update(_ crc: UInt32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt32 {
        let t = slices // one lazy-global check per call, not per byte
        var crc = crc
        var offset = 0
        while count - offset >= 16 {
            let raw = UnsafeRawPointer(bytes + offset)
            crc = fold(t, 12, UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)) ^ crc)
                ^ fold(t, 8, UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
                ^ fold(t, 4, UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
                ^ fold(t, 0, UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
            offset += 16
        }
        while count - offset >= 4 {
            crc = fold(t, 0, UInt32(littleEndian: UnsafeRawPointer(bytes + offset).loadUnaligned(as: UInt32.self)) ^ crc)
            offset += 4
        }
        while offset < count {
            crc = t[Int((crc ^ UInt32(bytes[offset])) & 0xFF)] ^ (crc >> 8)
            offset += 1
        }
        return crc
    }

    /// The CRC contribution of the four bytes of `word` followed by `zeros` zero bytes: its first
    /// byte is shifted through `zeros + 3` more bytes than its last.
    @inline(__always)
    private static func fold(_ t: UnsafePointer<UInt32>, _ zeros: Int, _ word: UInt32) -> UInt32 {
        t[(zeros + 3) * 256 + Int(word & 0xFF)] ^ t[(zeros + 2) * 256 + Int((word >> 8) & 0xFF)]
            ^ t[(zeros + 1) * 256 + Int((word >> 16) & 0xFF)] ^ t[zeros * 256 + Int(word >> 24)]
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        return update(0xFFFF_FFFF, base, bytes.count) ^ 0xFFFF_FFFF
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
