#if OpenSSL
import COpenSSL
#endif

/// A self-signed certificate and its key, for tests and for nodes that pin their peers' certificates instead of
/// trusting a CA. ECDSA P-256, SHA-256 signature, the given names as subject alternative names.
public struct SelfSignedCertificate: Sendable, Hashable {
    /// The certificate, PEM-encoded (`-----BEGIN CERTIFICATE-----`).
    public var certificatePEM: String
    /// The private key, PEM-encoded (PKCS #8). Keep it secret: write it with mode 0600.
    public var privateKeyPEM: String

    /// A certificate and key already in PEM form (read from files, or made by ``generate(names:days:)``).
    public init(certificatePEM: String, privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }
}

#if OpenSSL
extension SelfSignedCertificate {
    /// - Parameter names: host names and IP addresses the certificate is valid for; the first is the common name.
    public static func generate(names: [String], days: Int = 365) throws(TLSError) -> SelfSignedCertificate {
        guard let first = names.first, !first.isEmpty else { throw TLSError("a certificate needs at least one name") }
        guard (1...3650).contains(days) else { throw TLSError("validity must be 1 to 3650 days") }
        for name in names where name.isEmpty || name.contains(",") || name.contains(where: { $0.isWhitespace }) {
            throw TLSError("'\(name)' is not a host name or address")
        }
        guard let key = seed_generate_p256_key() else { throw TLSError("key generation failed: \(TLSContext.lastError())") }
        defer { EVP_PKEY_free(key) }
        guard let cert = X509_new() else { throw TLSError("cannot allocate a certificate") }
        defer { X509_free(cert) }
        var serial = [UInt8](repeating: 0, count: 8)
        _ = RAND_bytes(&serial, 8)
        let serialNumber = serial.reduce(0) { ($0 << 8) | Int($1) } & 0x7FFF_FFFF_FFFF_FFFF
        guard X509_set_version(cert, 2) == 1,
            ASN1_INTEGER_set(X509_get_serialNumber(cert), serialNumber) == 1,
            X509_gmtime_adj(X509_getm_notBefore(cert), -300) != nil,
            X509_gmtime_adj(X509_getm_notAfter(cert), days * 86_400) != nil,
            X509_set_pubkey(cert, key) == 1
        else { throw TLSError("cannot fill in the certificate: \(TLSContext.lastError())") }
        let subject = X509_get_subject_name(cert)
        guard X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, first, -1, -1, 0) == 1,
            X509_set_issuer_name(cert, subject) == 1
        else { throw TLSError("cannot set the certificate's name: \(TLSContext.lastError())") }
        let altNames = names.map { Self.isIPAddress($0) ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ",")
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, cert, cert, nil, nil, 0)
        for (nid, value) in [(NID_subject_alt_name, altNames), (NID_basic_constraints, "critical,CA:FALSE"),
                             (NID_ext_key_usage, "serverAuth")] {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw TLSError("cannot add a certificate extension: \(TLSContext.lastError())")
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(cert, ext, -1) == 1 else { throw TLSError("cannot add a certificate extension") }
        }
        guard X509_sign(cert, key, EVP_sha256()) > 0 else { throw TLSError("signing failed: \(TLSContext.lastError())") }
        let certificatePEM = try Self.pem { PEM_write_bio_X509($0, cert) }
        let keyPEM = try Self.pem { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
        return SelfSignedCertificate(certificatePEM: certificatePEM, privateKeyPEM: keyPEM)
    }

    /// The certificate's SHA-256 (DER), colon-separated upper-case hex, as `openssl x509 -fingerprint` prints it.
    public var fingerprintSHA256: String {
        guard let bio = BIO_new_mem_buf(self.certificatePEM, -1) else { return "" }
        defer { BIO_free(bio) }
        guard let cert = PEM_read_bio_X509(bio, nil, nil, nil) else { return "" }
        defer { X509_free(cert) }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(cert, EVP_sha256(), &digest, &length) == 1 else { return "" }
        return digest.prefix(Int(length)).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    private static func pem(_ write: (OpaquePointer?) -> Int32) throws(TLSError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw TLSError("cannot allocate a buffer") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw TLSError("cannot encode PEM: \(TLSContext.lastError())") }
        let length = Int(seed_BIO_pending(bio))
        var bytes = [UInt8](repeating: 0, count: length)
        _ = BIO_read(bio, &bytes, Int32(length))
        return String(decoding: bytes, as: UTF8.self)
    }

    static func isIPAddress(_ text: String) -> Bool {
        IPAddressText.isIPv4(text) || (text.contains(":") && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." })
    }
}
#endif
