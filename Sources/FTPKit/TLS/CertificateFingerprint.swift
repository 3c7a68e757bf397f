import Foundation

/// A certificate's SHA-256 fingerprint from its PEM text, without OpenSSL: for builds without the `OpenSSL` trait,
/// and tested against OpenSSL's `X509_digest` where both exist.
enum CertificateFingerprint {
    /// The SHA-256 of the first certificate's DER, colon-separated upper-case hex (`openssl x509 -fingerprint`);
    /// empty when the text holds no certificate.
    static func sha256(pem: String) -> String {
        let lines = pem.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: "-----BEGIN CERTIFICATE-----"),
            let end = lines[begin...].firstIndex(of: "-----END CERTIFICATE-----"),
            let der = Data(base64Encoded: lines[(begin + 1)..<end].joined()), !der.isEmpty
        else { return "" }
        let digest = Digest(.sha256)
        der.withUnsafeBytes { digest.update($0) }
        return digest.finalize().map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}
