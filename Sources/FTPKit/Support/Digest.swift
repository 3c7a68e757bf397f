#if OpenSSL
import COpenSSL
#endif

/// An incremental message digest (SHA-256, SHA-1, MD5) for checksums computed while data streams by: through
/// OpenSSL's EVP interface (hardware SHA where the CPU has it), or in Swift when FTPKit is built without its
/// `OpenSSL` trait. Not thread-safe: feed it from one task.
public final class Digest {
    #if OpenSSL
    private let context: OpaquePointer

    public init?(_ algorithm: FTPHashAlgorithm) {
        guard let ctx = EVP_MD_CTX_new() else { return nil }
        let md: OpaquePointer? = switch algorithm {
        case .sha256: EVP_sha256()
        case .sha1: EVP_sha1()
        case .md5: EVP_md5()
        }
        guard EVP_DigestInit_ex(ctx, md, nil) == 1 else {
            EVP_MD_CTX_free(ctx)
            return nil
        }
        self.context = ctx
    }

    deinit { EVP_MD_CTX_free(self.context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        _ = EVP_DigestUpdate(self.context, bytes.baseAddress, bytes.count)
    }

    /// The digest's bytes. Call once.
    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = EVP_DigestFinal_ex(self.context, &out, &length)
        return Array(out.prefix(Int(length)))
    }
    #else
    private var hasher: SwiftDigest

    /// Never `nil` in this build; failable because OpenSSL's digests can fail to initialise.
    public init?(_ algorithm: FTPHashAlgorithm) {
        self.hasher = SwiftDigest(algorithm)
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        self.hasher.update(bytes)
    }

    /// The digest's bytes. Call once.
    public func finalize() -> [UInt8] {
        self.hasher.finalize()
    }
    #endif

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
