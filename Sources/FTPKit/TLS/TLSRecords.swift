/// How much room a TLS write's records take, for sizing buffers. (Plain arithmetic: compiled with or without
/// OpenSSL, so callers that size their pieces need no TLS build.)
enum TLSRecords {
    /// The most plaintext one record carries.
    static let size = 16 * 1024
    /// Header, tag and padding reserved per record: TLS 1.3 adds 22 bytes, TLS 1.2 with AES-GCM 29.
    static let overhead = 64

    /// Room for the records of `plaintext` bytes.
    static func bound(_ plaintext: Int) -> Int {
        plaintext + (plaintext + Self.size - 1) / Self.size * Self.overhead
    }

    /// The most plaintext whose records fit in `size` bytes as ``bound(_:)`` reserves them. NIO rounds every buffer
    /// up to a power of two, so the records of a 64 KiB write (65,792 bytes reserved) took a 128 KiB buffer, and a
    /// 1 MiB write's a 2 MiB one. Writers that choose their piece size write this much instead.
    static func plaintext(fitting size: Int) -> Int {
        max(1, size - (size + Self.size - 1) / Self.size * Self.overhead)
    }
}
