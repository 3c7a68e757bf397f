#if OpenSSL
import COpenSSL
import Crypto
import NIOCore

/// Seals TLS 1.3 records straight from the caller's plaintext into the outgoing buffer, once OpenSSL has handed
/// over the application write keys through its kernel-TLS interface (``CiphertextBIO``).
///
/// OpenSSL's own write path copies each record's plaintext into its record buffer, encrypts it there, and our BIO
/// then copies the record into the outgoing buffer: two copies of every byte beside the cipher. Here the cipher
/// reads the plaintext where it is and writes the record where the socket will take it. The record format is RFC
/// 8446 §5.2: header, then the AEAD of the plaintext followed by its one-byte content type, with the header as
/// additional data and the static IV XORed with the record's sequence number as nonce (§5.3).
///
/// Key updates (RFC 8446 §4.6.3): OpenSSL 3.0 derives its next sending keys without telling the BIO, and goes on
/// handing it plaintext. So the sealer keeps this side's application traffic secret (which OpenSSL reports through
/// its key-log callback, ``TrafficSecretLog``) and, once it has sealed a KeyUpdate message under the current keys,
/// derives the next secret, key and IV itself (§7.2) and starts again at sequence 0, as the peer's record layer
/// does. Without that secret there is no sealer: OpenSSL keeps the records.
///
/// Only touched on the channel's event loop, from OpenSSL calls the handler makes.
final class RecordSealer {
    private let cipher: OpaquePointer
    /// The 12-byte static IV, and the nonce built from it for each record: allocated once, since a record is
    /// sealed every 16 KiB.
    private let staticIV: UnsafeMutablePointer<UInt8>
    private let nonce: UnsafeMutablePointer<UInt8>
    private var sequence: UInt64
    /// This side's current application traffic secret, from which a key update derives the next keys; and the
    /// suite's hash, whose length the secret has.
    private var secret: SymmetricKey
    private let hash: TrafficSecretHash
    private let keyLength: Int
    /// Key updates this sealer followed, for tests.
    private(set) var keyUpdates = 0
    /// Records sealed under the current keys.
    var recordsUnderKey: UInt64 { self.sequence }
    /// Set once sealing failed: records already sealed for that write were taken back, so their sequence numbers
    /// are gone and no later record may follow them.
    private var failed = false
    /// Records sealed, for tests and counters.
    private(set) var recordsSealed = 0

    /// The sealer for the keys OpenSSL passed (`crypto_info`, the kernel's layout) and the traffic secret they
    /// were derived from, or nil when they are not ones sealed here or the secret is missing or of the wrong
    /// length (then OpenSSL keeps encrypting itself).
    init?(cryptoInfo: UnsafeRawPointer, secret: SymmetricKey?) {
        var keys = seed_record_keys()
        seed_read_record_keys(cryptoInfo, &keys)
        defer { withUnsafeMutableBytes(of: &keys) { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        let algorithm: OpaquePointer?
        let hash: TrafficSecretHash
        switch keys.cipher {
        case 1: (algorithm, hash) = (EVP_aes_128_gcm(), .sha256)
        case 2: (algorithm, hash) = (EVP_aes_256_gcm(), .sha384)
        case 3: (algorithm, hash) = (EVP_chacha20_poly1305(), .sha256)
        default: return nil
        }
        guard let secret, secret.bitCount == hash.length * 8 else { return nil }
        guard let algorithm, let context = EVP_CIPHER_CTX_new() else { return nil }
        let keyed = withUnsafeBytes(of: &keys.key) { key in
            EVP_EncryptInit_ex(context, algorithm, nil, key.bindMemory(to: UInt8.self).baseAddress, nil)
        }
        guard keyed == 1, EVP_CIPHER_CTX_get_iv_length(context) == 12 else {
            EVP_CIPHER_CTX_free(context)
            return nil
        }
        self.cipher = context
        self.secret = secret
        self.hash = hash
        self.keyLength = Int(keys.keyLength)
        let staticIV = UnsafeMutablePointer<UInt8>.allocate(capacity: 12)
        withUnsafeBytes(of: keys.iv) { staticIV.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: 12) }
        self.staticIV = staticIV
        self.nonce = .allocate(capacity: 12)
        self.sequence = withUnsafeBytes(of: keys.sequence) { raw in
            raw.reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
        }
    }

    deinit {
        EVP_CIPHER_CTX_free(self.cipher)
        OPENSSL_cleanse(self.staticIV, 12)
        OPENSSL_cleanse(self.nonce, 12)
        self.staticIV.deallocate()
        self.nonce.deallocate()
    }

    /// Seals `plaintext` of content type `type` as records of at most 16 KiB each, appended to `output`.
    /// Returns false when the cipher fails; the caller then takes back what this write appended, and every later
    /// call fails too.
    func seal(type: UInt8, _ plaintext: UnsafeRawBufferPointer, into output: inout ByteBuffer) -> Bool {
        guard !self.failed else { return false }
        var offset = 0
        repeat {
            let count = min(plaintext.count - offset, TLSRecords.size)
            let piece = UnsafeRawBufferPointer(rebasing: plaintext[offset..<(offset + count)])
            guard self.sealRecord(type: type, piece, into: &output) else {
                self.failed = true
                return false
            }
            offset += count
        } while offset < plaintext.count
        // A KeyUpdate goes out under the old keys; every record after it under the next ones (§4.6.3). It ends
        // its record (§5.1: handshake messages do not span a key change), so it is the last message written.
        if type == 22, Self.endsWithKeyUpdate(plaintext) { self.updateKeys() }
        return true
    }

    /// Whether the handshake messages in `plaintext` (type, 24-bit length, body; RFC 8446 §4) end with a KeyUpdate.
    static func endsWithKeyUpdate(_ plaintext: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        var last: UInt8?
        while offset + 4 <= plaintext.count {
            let length = Int(plaintext[offset + 1]) << 16 | Int(plaintext[offset + 2]) << 8 | Int(plaintext[offset + 3])
            last = plaintext[offset]
            offset += 4 + length
        }
        return last == 24 && offset == plaintext.count
    }

    /// The next generation of sending keys: application_traffic_secret_N+1, then its key and IV (RFC 8446 §7.2,
    /// §7.3), from sequence 0.
    private func updateKeys() {
        let next = self.hash.expandLabel(self.secret, "traffic upd", length: self.hash.length)
        let key = self.hash.expandLabel(next, "key", length: self.keyLength)
        let iv = self.hash.expandLabel(next, "iv", length: 12)
        let keyed = key.withUnsafeBytes { key in
            EVP_EncryptInit_ex(self.cipher, nil, nil, key.bindMemory(to: UInt8.self).baseAddress, nil)
        }
        guard keyed == 1 else {
            // Records under the old keys would not open at the peer, which has moved on: nothing more is sent.
            self.failed = true
            return
        }
        iv.withUnsafeBytes { self.staticIV.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: 12) }
        self.secret = next
        self.sequence = 0
        self.keyUpdates += 1
    }

    private func sealRecord(type: UInt8, _ plaintext: UnsafeRawBufferPointer, into output: inout ByteBuffer) -> Bool {
        // A sequence number is never reused under one key (RFC 8446 §5.5 caps records far below this anyway).
        guard self.sequence < UInt64.max else { return false }
        let length = plaintext.count + 1 + 16
        self.nonce.update(from: self.staticIV, count: 12)
        for i in 0..<8 { self.nonce[4 + i] ^= UInt8(truncatingIfNeeded: self.sequence >> (56 - 8 * UInt64(i))) }
        guard EVP_EncryptInit_ex(self.cipher, nil, nil, nil, self.nonce) == 1 else { return false }
        var sealed = false
        // Header, ciphertext and tag written in place; the header is also the additional data.
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: 5 + length) { raw in
            let header = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            header[0] = 23
            header[1] = 3
            header[2] = 3
            header[3] = UInt8(length >> 8)
            header[4] = UInt8(length & 0xff)
            let out = header + 5
            var typeByte = type
            var n: Int32 = 0
            var total = 0
            guard EVP_EncryptUpdate(self.cipher, nil, &n, header, 5) == 1 else { return 0 }
            if plaintext.count > 0 {
                guard EVP_EncryptUpdate(self.cipher, out, &n, plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    Int32(plaintext.count)) == 1 else { return 0 }
                total += Int(n)
            }
            guard EVP_EncryptUpdate(self.cipher, out + total, &n, &typeByte, 1) == 1 else { return 0 }
            total += Int(n)
            guard EVP_EncryptFinal_ex(self.cipher, out + total, &n) == 1 else { return 0 }
            total += Int(n)
            guard total == plaintext.count + 1,
                EVP_CIPHER_CTX_ctrl(self.cipher, EVP_CTRL_AEAD_GET_TAG, 16, out + total) == 1
            else { return 0 }
            sealed = true
            return 5 + length
        }
        guard sealed else { return false }
        self.sequence += 1
        self.recordsSealed += 1
        return true
    }
}
#endif
