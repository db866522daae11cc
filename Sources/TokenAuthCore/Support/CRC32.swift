/// CRC-32/ISO-HDLC (the polynomial and conventions of zlib's crc32), for the token checksum.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        return crc
    }

    /// Eight tables for slicing-by-8 (Intel's method, as zlib uses): eight bytes per step. At a fixed
    /// address, read without bounds checks or reference counting.
    private nonisolated(unsafe) static let slices: UnsafePointer<UInt32> = {
        let pointer = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * 256)
        pointer.initialize(from: table, count: 256)
        for slice in 1..<8 {
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
        while count - offset >= 8 {
            let raw = UnsafeRawPointer(bytes + offset)
            let one = UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)) ^ crc
            let two = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            crc = t[7 * 256 + Int(one & 0xFF)] ^ t[6 * 256 + Int((one >> 8) & 0xFF)]
                ^ t[5 * 256 + Int((one >> 16) & 0xFF)] ^ t[4 * 256 + Int(one >> 24)]
                ^ t[3 * 256 + Int(two & 0xFF)] ^ t[2 * 256 + Int((two >> 8) & 0xFF)]
                ^ t[256 + Int((two >> 16) & 0xFF)] ^ t[Int(two >> 24)]
            offset += 8
        }
        while offset < count {
            crc = t[Int((crc ^ UInt32(bytes[offset])) & 0xFF)] ^ (crc >> 8)
            offset += 1
        }
        return crc
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        return update(0xFFFF_FFFF, base, bytes.count) ^ 0xFFFF_FFFF
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
