/// The hashes behind ``Digest`` in Swift, for builds without OpenSSL (and for tests that compare both).
enum SwiftDigest {
    case sha256(BlockHasher<SHA256Compression>)
    case sha1(BlockHasher<SHA1Compression>)
    case md5(BlockHasher<MD5Compression>)

    init(_ algorithm: FTPHashAlgorithm) {
        self = switch algorithm {
        case .sha256: .sha256(BlockHasher())
        case .sha1: .sha1(BlockHasher())
        case .md5: .md5(BlockHasher())
        }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .sha256(var h): h.update(bytes); self = .sha256(h)
        case .sha1(var h): h.update(bytes); self = .sha1(h)
        case .md5(var h): h.update(bytes); self = .md5(h)
        }
    }

    mutating func finalize() -> [UInt8] {
        switch self {
        case .sha256(var h): h.finalize()
        case .sha1(var h): h.finalize()
        case .md5(var h): h.finalize()
        }
    }
}
