#if OpenSSL
import COpenSSL
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
/// What this does not follow: a key update. OpenSSL 3.0 derives the next sending key without telling the BIO, so
/// after our side sends a KeyUpdate (which only happens when the peer asks for one) the sealer refuses to go on,
/// and the connection fails with an error rather than sending records the peer cannot open. FTP clients do not ask
/// for key updates on data connections, which are the only ones that seal here.
///
/// Only touched on the channel's event loop, from OpenSSL calls the handler makes.
final class RecordSealer {
    private let cipher: OpaquePointer
    /// The 12-byte static IV, and the nonce built from it for each record: allocated once, since a record is
    /// sealed every 16 KiB.
    private let staticIV: UnsafeMutablePointer<UInt8>
    private let nonce: UnsafeMutablePointer<UInt8>
    private var sequence: UInt64
    /// Set once a KeyUpdate went out sealed with these keys: OpenSSL has moved to keys this sealer does not have.
    private(set) var keysRetired = false
    /// Set once sealing failed: records already sealed for that write were taken back, so their sequence numbers
    /// are gone and no later record may follow them.
    private var failed = false
    /// Records sealed, for tests and counters.
    private(set) var recordsSealed = 0

    /// The sealer for the keys OpenSSL passed (`crypto_info`, the kernel's layout), or nil when they are not ones
    /// sealed here (then OpenSSL keeps encrypting itself).
    init?(cryptoInfo: UnsafeRawPointer) {
        var keys = seed_record_keys()
        seed_read_record_keys(cryptoInfo, &keys)
        defer { withUnsafeMutableBytes(of: &keys) { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        let algorithm: OpaquePointer?
        switch keys.cipher {
        case 1: algorithm = EVP_aes_128_gcm()
        case 2: algorithm = EVP_aes_256_gcm()
        case 3: algorithm = EVP_chacha20_poly1305()
        default: return nil
        }
        guard let algorithm, let context = EVP_CIPHER_CTX_new() else { return nil }
        let keyed = withUnsafeBytes(of: &keys.key) { key in
            EVP_EncryptInit_ex(context, algorithm, nil, key.bindMemory(to: UInt8.self).baseAddress, nil)
        }
        guard keyed == 1, EVP_CIPHER_CTX_get_iv_length(context) == 12 else {
            EVP_CIPHER_CTX_free(context)
            return nil
        }
        self.cipher = context
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
    /// Returns false when the cipher fails or the keys are retired; the caller then takes back what this write
    /// appended, and every later call fails too.
    func seal(type: UInt8, _ plaintext: UnsafeRawBufferPointer, into output: inout ByteBuffer) -> Bool {
        guard !self.keysRetired, !self.failed else { return false }
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
        // TLS 1.3 KeyUpdate (handshake message 24): what follows needs keys OpenSSL did not pass on.
        if type == 22, plaintext.first == 24 { self.keysRetired = true }
        return true
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
