import Crypto

/// An incremental message digest (SHA-256, SHA-1, MD5) for checksums computed while data streams by, through
/// swift-crypto in every build (BoringSSL's assembly, with the CPU's SHA extensions where it has them). Not
/// thread-safe: feed it from one task.
public final class Digest {
    // One of the three is set. Optionals rather than an enum with payloads: `self.sha256?.update(…)` mutates the
    // hasher in place, where taking a payload out of an enum case and putting it back would leave two references
    // to swift-crypto's copy-on-write context, and every update would copy it.
    private var sha256: SHA256?
    private var sha1: Insecure.SHA1?
    private var md5: Insecure.MD5?

    /// A digest of nothing yet, in `algorithm`.
    public init(_ algorithm: FTPHashAlgorithm) {
        switch algorithm {
        case .sha256: self.sha256 = SHA256()
        case .sha1: self.sha1 = Insecure.SHA1()
        case .md5: self.md5 = Insecure.MD5()
        }
    }

    /// Adds these bytes.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        self.sha256?.update(bufferPointer: bytes)
        self.sha1?.update(bufferPointer: bytes)
        self.md5?.update(bufferPointer: bytes)
    }

    /// The digest's bytes. Call once.
    public func finalize() -> [UInt8] {
        if let sha256 { return Array(sha256.finalize()) }
        if let sha1 { return Array(sha1.finalize()) }
        if let md5 { return Array(md5.finalize()) }
        return []
    }

    /// The digest as lower-case hex. Call once.
    public func finalizeHex() -> String {
        let bytes = self.finalize()
        let hex: [Character] = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes {
            s.append(hex[Int(b >> 4)])
            s.append(hex[Int(b & 0xF)])
        }
        return s
    }
}
