/// The hashes behind ``Digest`` in Swift, for builds without OpenSSL (and for tests that compare both).
struct SwiftDigest {
    // One of the three is set. Optionals rather than an enum with payloads: `self.sha256?.update(…)` mutates the
    // hasher in place, where taking a payload out of an enum case and putting it back copies its pending block.
    private var sha256: BlockHasher<SHA256Compression>?
    private var sha1: BlockHasher<SHA1Compression>?
    private var md5: BlockHasher<MD5Compression>?

    init(_ algorithm: FTPHashAlgorithm) {
        switch algorithm {
        case .sha256: self.sha256 = BlockHasher()
        case .sha1: self.sha1 = BlockHasher()
        case .md5: self.md5 = BlockHasher()
        }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        self.sha256?.update(bytes)
        self.sha1?.update(bytes)
        self.md5?.update(bytes)
    }

    mutating func finalize() -> [UInt8] {
        self.sha256?.finalize() ?? self.sha1?.finalize() ?? self.md5?.finalize() ?? []
    }
}
