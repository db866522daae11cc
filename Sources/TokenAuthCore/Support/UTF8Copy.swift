extension String {
    /// Copies the first (or, `fromEnd`, the last) `buffer.count` bytes of the UTF-8 text into
    /// `buffer` in one move — all of it when shorter, leaving the rest of `buffer` as it was. Used to
    /// pack short identifiers into machine words (a byte-by-byte loop costs ~90 instructions a byte).
    func copyUTF8(fromEnd: Bool = false, into buffer: UnsafeMutableRawBufferPointer) {
        var text = self
        text.withUTF8 { bytes in
            let part = fromEnd ? bytes.suffix(buffer.count) : bytes.prefix(buffer.count)
            buffer.copyMemory(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: part)))
        }
    }
}
