/// HMAC (RFC 2104) over a ``BlockHasher``, with the keyed inner and outer states computed once so that PBKDF2's
/// iterations cost two compressions each instead of four.
struct HMAC<Compression: BlockCompression> {
    private let inner: BlockHasher<Compression>
    private let outer: BlockHasher<Compression>

    init(key: [UInt8]) {
        var block = key.count > 64 ? BlockHasher<Compression>.hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = BlockHasher<Compression>()
        inner.update(block.map { $0 ^ 0x36 })
        var outer = BlockHasher<Compression>()
        outer.update(block.map { $0 ^ 0x5c })
        self.inner = inner
        self.outer = outer
    }

    func authenticate(_ message: [UInt8]) -> [UInt8] {
        var inner = self.inner
        inner.update(message)
        var outer = self.outer
        outer.update(inner.finalize())
        return outer.finalize()
    }
}

/// PBKDF2 with HMAC-SHA-256 (RFC 8018, section 5.2).
enum PBKDF2 {
    static func sha256(password: [UInt8], salt: [UInt8], iterations: Int, length: Int) -> [UInt8] {
        let mac = HMAC<SHA256Compression>(key: password)
        // Every iteration after the first MACs a 32-byte digest: one padded block for the inner hash and one for
        // the outer, compressed straight from the keyed states, with no allocation but the digests.
        var key = password.count > 64 ? BlockHasher<SHA256Compression>.hash(password) : password
        key += [UInt8](repeating: 0, count: 64 - key.count)
        var innerStart = SHA256Compression()
        var outerStart = SHA256Compression()
        key.map { $0 ^ 0x36 }.withUnsafeBytes { innerStart.compress($0) }
        key.map { $0 ^ 0x5c }.withUnsafeBytes { outerStart.compress($0) }
        // A 32-byte message after one block already hashed: 0x80, zeros, then the length (96 bytes) in bits.
        var block = [UInt8](repeating: 0, count: 64)
        block[32] = 0x80
        block[62] = 0x03

        var out: [UInt8] = []
        out.reserveCapacity(length)
        var blockIndex: UInt32 = 1
        while out.count < length {
            var u = mac.authenticate(salt + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: blockIndex >> $0) })
            var t = u
            for _ in 1..<max(1, iterations) {
                block.replaceSubrange(0..<32, with: u)
                var inner = innerStart
                block.withUnsafeBytes { inner.compress($0) }
                block.replaceSubrange(0..<32, with: inner.digest)
                var outer = outerStart
                block.withUnsafeBytes { outer.compress($0) }
                u = outer.digest
                for j in 0..<32 { t[j] ^= u[j] }
            }
            out += t.prefix(length - out.count)
            blockIndex += 1
        }
        return out
    }
}

/// HMAC-SHA-256 for the package's own targets (signed links), with a comparison whose time does not depend on
/// where two tags differ.
package enum MessageAuthentication {
    package static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        HMAC<SHA256Compression>(key: key).authenticate(message)
    }

    package static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
