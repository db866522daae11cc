@testable import TokenAuthCore

extension Digest {
    /// A digest of 32 random bytes, as SHA-256 digests of random secrets look.
    static func random() -> Digest {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
        return bytes.withUnsafeBytes { Digest($0) }
    }
}
