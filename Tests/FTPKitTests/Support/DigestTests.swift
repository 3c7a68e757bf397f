import SeedTestSupport
import Testing

@testable import FTPKit

/// FTPKit's digests, password hashes and certificate fingerprints over swift-crypto: published vectors (FIPS 180,
/// RFC 1321, RFC 7914; cross-checked with Python's hashlib), the same answer whatever pieces the data comes in, and
/// the stored-hash format.
@Suite(.tags(.unit), .inTestSet(.unit), .tags(.unit)) struct DigestTests {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    private func hash(_ algorithm: FTPHashAlgorithm, _ bytes: [UInt8]) -> String {
        let digest = Digest(algorithm)
        bytes.withUnsafeBytes { digest.update($0) }
        return digest.finalizeHex()
    }

    @Test func publishedVectors() {
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let vectors: [(FTPHashAlgorithm, [String])] = [
            (.sha256, ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"]),
            (.sha1, ["da39a3ee5e6b4b0d3255bfef95601890afd80709",
                     "a9993e364706816aba3e25717850c26c9cd0d89d",
                     "34aa973cd4c4daa4f61eeb2bdbad27316534016f"]),
            (.md5, ["d41d8cd98f00b204e9800998ecf8427e",
                    "900150983cd24fb0d6963f7d28e17f72",
                    "7707d6ae4e027c70eea2a935c2296f21"]),
        ]
        for (algorithm, expected) in vectors {
            #expect(self.hash(algorithm, []) == expected[0], "\(algorithm) of nothing")
            #expect(self.hash(algorithm, Array("abc".utf8)) == expected[1], "\(algorithm) of abc")
            #expect(self.hash(algorithm, million) == expected[2], "\(algorithm) of a million a")
        }
    }

    @Test func theSameDigestWhateverThePieces() {
        var rng = SystemRandomNumberGenerator()
        // Every length around the 55/56/64-byte padding edges, then some longer ones.
        for length in Array(0...130) + [447, 448, 1000, 4096, 65_537] {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for algorithm in FTPHashAlgorithm.allCases {
                let pieces = Digest(algorithm)
                var offset = 0
                while offset < data.count {
                    let piece = min(data.count - offset, Int.random(in: 1...70, using: &rng))
                    data[offset..<(offset + piece)].withUnsafeBytes { pieces.update($0) }
                    offset += piece
                }
                #expect(pieces.finalizeHex() == self.hash(algorithm, data), "\(algorithm), \(length) bytes")
            }
        }
    }

    @Test func pbkdf2MatchesTheRFC() throws {
        // RFC 7914, section 11: two output blocks from one iteration (below the stored-hash floor, so derived
        // directly), then RFC 7914's 80,000-iteration vector.
        let one = try PasswordHasher.derive("passwd", salt: Array("salt".utf8), iterations: 1, length: 64)
        #expect(self.hex(one) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
        let many = try PasswordHasher.derive("Password", salt: Array("NaCl".utf8), iterations: 80_000, length: 64)
        #expect(self.hex(many) == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            + "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")
    }

    @Test func storedPasswordHashesVerifyAndRefuse() throws {
        let stored = try PasswordHasher.hash("pässwörd with spaces", iterations: 1000)
        #expect(stored.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(PasswordHasher.verify("pässwörd with spaces", against: stored))
        #expect(!PasswordHasher.verify("pässwörd with space", against: stored))
        #expect(!PasswordHasher.verify("", against: stored))
        #expect(!PasswordHasher.verify("x", against: "pbkdf2-sha256$1000$bad$bad"))
        // Two hashes of one password differ (random salt) and both verify.
        let again = try PasswordHasher.hash("pässwörd with spaces", iterations: 1000)
        #expect(again != stored && PasswordHasher.verify("pässwörd with spaces", against: again))
        #expect(throws: FTPConfigurationError.self) { try PasswordHasher.hash("x", iterations: 999) }
    }

    @Test func certificateFingerprintFromPEM() throws {
        let certificate = try SelfSignedCertificate.generate(names: ["node.example", "127.0.0.1"])
        #expect(CertificateFingerprint.sha256(pem: certificate.certificatePEM) == certificate.fingerprintSHA256)
        #expect(CertificateFingerprint.sha256(pem: "not a certificate") == "")
        #expect(CertificateFingerprint.sha256(pem: "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----") == "")
    }
}
