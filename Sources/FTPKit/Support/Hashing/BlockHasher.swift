/// The compression step of a Merkle–Damgård hash over 64-byte blocks (SHA-256, SHA-1, MD5): the state after each
/// block. ``BlockHasher`` does the buffering and padding they share.
protocol BlockCompression {
    static var digestSize: Int { get }
    /// SHA-1 and SHA-2 append the message length big-endian, MD5 little-endian.
    static var bigEndianLength: Bool { get }
    init()
    /// Folds one 64-byte block into the state.
    mutating func compress(_ block: UnsafeRawBufferPointer)
    /// The state as the digest's bytes.
    var digest: [UInt8] { get }
}

/// Streams bytes through a ``BlockCompression``. The Swift implementations exist so FTPKit builds without
/// OpenSSL (its `OpenSSL` trait off); with OpenSSL, ``Digest`` and the password hasher use libcrypto, and the
/// tests check both give the same bytes.
struct BlockHasher<Compression: BlockCompression> {
    private var state = Compression()
    /// A partial block waiting for more bytes (fewer than 64).
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    init() { self.pending.reserveCapacity(64) }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        self.length &+= UInt64(bytes.count)
        var rest = bytes[...]
        if !self.pending.isEmpty {
            let take = min(64 - self.pending.count, rest.count)
            self.pending.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
            guard self.pending.count == 64 else { return }
            self.pending.withUnsafeBytes { self.state.compress($0) }
            self.pending.removeAll(keepingCapacity: true)
        }
        while rest.count >= 64 {
            self.state.compress(UnsafeRawBufferPointer(rebasing: rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        self.pending.append(contentsOf: rest)
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.update($0) }
    }

    /// The digest of everything fed so far. The hasher is spent afterwards.
    mutating func finalize() -> [UInt8] {
        let bits = self.length &* 8
        var tail = self.pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for i in 0..<8 {
            let shift = Compression.bigEndianLength ? (7 - i) * 8 : i * 8
            tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
        tail.withUnsafeBytes { raw in
            for offset in stride(from: 0, to: raw.count, by: 64) {
                self.state.compress(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 64)]))
            }
        }
        self.pending.removeAll()
        return self.state.digest
    }

    /// One-shot convenience.
    static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = Self()
        hasher.update(bytes)
        return hasher.finalize()
    }
}
