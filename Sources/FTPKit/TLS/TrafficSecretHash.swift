import Crypto

/// The hash of a TLS 1.3 cipher suite, for deriving keys from a traffic secret (RFC 8446 §7.1): SHA-256 for
/// TLS_AES_128_GCM_SHA256 and TLS_CHACHA20_POLY1305_SHA256, SHA-384 for TLS_AES_256_GCM_SHA384.
enum TrafficSecretHash {
    case sha256, sha384

    /// Bytes in a digest, and so in a traffic secret.
    var length: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        }
    }

    /// HKDF-Expand-Label(secret, label, "", length) of RFC 8446 §7.1: HKDF-Expand with the info
    /// `uint16 length ‖ opaque label<7..255> ("tls13 " + label) ‖ opaque context<0..255>` (empty context here).
    func expandLabel(_ secret: SymmetricKey, _ label: String, length: Int) -> SymmetricKey {
        let fullLabel = Array("tls13 \(label)".utf8)
        var info: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xff), UInt8(fullLabel.count)]
        info += fullLabel
        info.append(0)
        switch self {
        case .sha256: return HKDF<SHA256>.expand(pseudoRandomKey: secret, info: info, outputByteCount: length)
        case .sha384: return HKDF<SHA384>.expand(pseudoRandomKey: secret, info: info, outputByteCount: length)
        }
    }
}
