import COpenSSL

/// A SHA-256 digest held inline (no heap), the key of the verification index. Digests of random
/// secrets are uniformly distributed, so one word is a perfectly good hash.
struct Digest: Hashable, Sendable {
    var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    private init() {}

    init(_ bytes: UnsafeRawBufferPointer) {
        w0 = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        w1 = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        w2 = bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        w3 = bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    }

    init?(_ bytes: [UInt8]) {
        guard bytes.count == Crypto.digestLength else { return nil }
        self = bytes.withUnsafeBytes { Digest($0) }
    }

    func hash(into hasher: inout Hasher) { hasher.combine(w0) }

    /// Dictionary and Set call this; the digest is already uniformly random, so SipHash would only
    /// add cost on the hot path. The per-process seed still perturbs the bucket order.
    func _rawHashValue(seed: Int) -> Int { Int(truncatingIfNeeded: w0 ^ UInt64(UInt(bitPattern: seed))) }

    /// Equality over all 32 bytes without an early exit (the index's lookups take the same time
    /// however much of a guess matches).
    func isSame(as other: Digest) -> Bool {
        ((w0 ^ other.w0) | (w1 ^ other.w1) | (w2 ^ other.w2) | (w3 ^ other.w3)) == 0
    }

    var bytes: [UInt8] {
        withUnsafeBytes(of: self) { Array($0) }
    }

    /// Constant-time equality with stored digest bytes (`CRYPTO_memcmp`).
    func matches(_ stored: [UInt8]) -> Bool {
        withUnsafeBytes(of: self) { mine in stored.withUnsafeBytes { Crypto.constantTimeEqual(mine, $0) } }
    }

    /// Whether OpenSSL's default properties ask for FIPS (`fips=yes` in openssl.cnf): then every
    /// digest goes through EVP and the FIPS provider.
    static let throughProvider = EVP_default_properties_is_fips_enabled(nil) == 1

    /// SHA-256 of `input`, with the context on the stack (`ta_sha256` in the COpenSSL shim): no
    /// allocation, no thread-local lookup, no provider dispatch per call. With `throughProvider`
    /// (FIPS mode), through EVP instead (`ta_sha256_provided`).
    static func sha256(_ input: UnsafeRawBufferPointer, throughProvider: Bool = Digest.throughProvider) -> Digest? {
        var digest = Digest()
        let ok = withUnsafeMutableBytes(of: &digest) { out in
            let bytes = out.baseAddress?.assumingMemoryBound(to: UInt8.self)
            return throughProvider ? ta_sha256_provided(input.baseAddress, input.count, bytes) == 1
                                   : ta_sha256(input.baseAddress, input.count, bytes) == 1
        }
        return ok ? digest : nil
    }
}
