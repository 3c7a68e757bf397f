import Testing

@testable import FTPKit

/// The Swift SHA-256, SHA-1, MD5, HMAC and PBKDF2 that FTPKit uses when built without OpenSSL: published vectors
/// (FIPS 180, RFC 1321, RFC 4231, RFC 7914; cross-checked with Python's hashlib) and equality with OpenSSL's
/// results on random input fed in random pieces.
@Suite struct SwiftHashingTests {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    private func swiftHash(_ algorithm: FTPHashAlgorithm, _ bytes: [UInt8]) -> String {
        var digest = SwiftDigest(algorithm)
        bytes.withUnsafeBytes { digest.update($0) }
        return self.hex(digest.finalize())
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
            #expect(self.swiftHash(algorithm, []) == expected[0], "\(algorithm) of nothing")
            #expect(self.swiftHash(algorithm, Array("abc".utf8)) == expected[1], "\(algorithm) of abc")
            #expect(self.swiftHash(algorithm, million) == expected[2], "\(algorithm) of a million a")
        }
    }

    @Test func sameBytesAsOpenSSLWhateverThePieces() throws {
        var rng = SystemRandomNumberGenerator()
        // Every length around the 55/56/64-byte padding edges, then some longer ones.
        for length in Array(0...130) + [447, 448, 1000, 4096, 65_537] {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for algorithm in FTPHashAlgorithm.allCases {
                let reference = try #require(Digest(algorithm))
                data.withUnsafeBytes { reference.update($0) }
                var swift = SwiftDigest(algorithm)
                var offset = 0
                while offset < data.count {
                    let piece = min(data.count - offset, Int.random(in: 1...70, using: &rng))
                    data[offset..<(offset + piece)].withUnsafeBytes { swift.update($0) }
                    offset += piece
                }
                #expect(self.hex(swift.finalize()) == reference.finalizeHex(), "\(algorithm), \(length) bytes")
            }
        }
    }

    @Test func hmacSHA256() {
        // RFC 4231, test cases 1 and 6 (a key longer than the block is hashed first).
        let one = HMAC<SHA256Compression>(key: [UInt8](repeating: 0x0b, count: 20)).authenticate(Array("Hi There".utf8))
        #expect(self.hex(one) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let six = HMAC<SHA256Compression>(key: [UInt8](repeating: 0xaa, count: 131))
            .authenticate(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(self.hex(six) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func pbkdf2MatchesTheRFCAndOpenSSL() throws {
        // RFC 7914, section 11: two output blocks from one iteration.
        let rfc = PBKDF2.sha256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, length: 64)
        #expect(self.hex(rfc) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
        var rng = SystemRandomNumberGenerator()
        for (password, length) in [("", 32), ("hunter2", 16), ("pässwörd with spaces", 48)] {
            let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let swift = PBKDF2.sha256(password: Array(password.utf8), salt: salt, iterations: 1000, length: length)
            let reference = try PasswordHasher.derive(password, salt: salt, iterations: 1000, length: length)
            #expect(swift == reference, "password \(password.debugDescription)")
        }
    }

    @Test func certificateFingerprintWithoutOpenSSL() throws {
        let certificate = try SelfSignedCertificate.generate(names: ["node.example", "127.0.0.1"])
        #expect(CertificateFingerprint.sha256(pem: certificate.certificatePEM) == certificate.fingerprintSHA256)
        #expect(CertificateFingerprint.sha256(pem: "not a certificate") == "")
        #expect(CertificateFingerprint.sha256(pem: "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----") == "")
    }
}
