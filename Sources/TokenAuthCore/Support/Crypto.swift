import COpenSSL

/// The few OpenSSL primitives the library needs: the CSPRNG, SHA-256, constant-time comparison.
enum Crypto {
    static let digestLength = 32

    /// `count` bytes from `RAND_bytes`, or nil if the generator failed (never silently weak).
    static func randomBytes(_ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        let ok = bytes.withUnsafeMutableBytes { RAND_bytes($0.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(count)) }
        return ok == 1 ? bytes : nil
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8]? {
        bytes.withUnsafeBytes { Digest.sha256($0) }?.bytes
    }

    /// Constant-time equality (`CRYPTO_memcmp`): no early exit on the first differing byte.
    static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        return CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0
    }

    /// Overwrites secret bytes so they do not linger in freed memory (`OPENSSL_cleanse`).
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { wipe($0) }
    }

    static func wipe(_ bytes: UnsafeMutableRawBufferPointer) {
        OPENSSL_cleanse(bytes.baseAddress, bytes.count)
    }
}
