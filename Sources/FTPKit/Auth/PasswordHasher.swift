import CryptoExtras
import Foundation

/// Salted, slow password hashes in the form `pbkdf2-sha256$ITERATIONS$SALT$HASH` (base64 salt and hash), computed by
/// swift-crypto's PBKDF2 (BoringSSL's).
/// The iteration count is stored with each hash so it can be raised without breaking old ones.
public enum PasswordHasher {
    /// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
    public static let defaultIterations = 600_000
    static let scheme = "pbkdf2-sha256"

    /// The fewest iterations a new hash may have.
    public static let minimumIterations = 1000

    /// Throws unless a new hash may have `iterations` (at least ``minimumIterations``).
    public static func check(iterations: Int) throws(FTPConfigurationError) {
        guard iterations >= Self.minimumIterations else {
            throw FTPConfigurationError("at least \(Self.minimumIterations) PBKDF2 iterations are required")
        }
    }

    /// A new PBKDF2-HMAC-SHA256 hash of `password` with a random 16-byte salt, in the users file's form
    /// (`pbkdf2-sha256$ITERATIONS$SALT$HASH`, base64). Throws for fewer than ``minimumIterations``.
    public static func hash(_ password: String, iterations: Int = defaultIterations) throws(FTPConfigurationError) -> String {
        try Self.check(iterations: iterations)
        // The system generator is the kernel's CSPRNG (getrandom(2)).
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let derived = try derive(password, salt: salt, iterations: iterations)
        return "\(scheme)$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// Whether `password` matches `encoded`. A malformed `encoded` never matches.
    public static func verify(_ password: String, against encoded: String) -> Bool {
        guard let parsed = parse(encoded),
            let derived = try? derive(password, salt: parsed.salt, iterations: parsed.iterations, length: parsed.hash.count)
        else { return false }
        return constantTimeEqual(derived, parsed.hash)
    }

    /// Checks the shape of a stored hash, for configuration validation.
    public static func isWellFormed(_ encoded: String) -> Bool { parse(encoded) != nil }

    static func parse(_ encoded: String) -> (iterations: Int, salt: [UInt8], hash: [UInt8])? {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme, let iterations = Int(parts[1]), iterations >= 1000,
            iterations <= 100_000_000,
            let salt = Data(base64Encoded: String(parts[2])), salt.count >= 8,
            let hash = Data(base64Encoded: String(parts[3])), hash.count >= 16, hash.count <= 64
        else { return nil }
        return (iterations, Array(salt), Array(hash))
    }

    static func derive(_ password: String, salt: [UInt8], iterations: Int, length: Int = 32) throws(FTPConfigurationError) -> [UInt8] {
        do {
            // Unchecked: swift-crypto's checked variant refuses fewer than 210,000 rounds, and hashes made with fewer
            // (down to our floor of 1000, for tests and old files) must still verify. New hashes default to 600,000.
            let key = try KDF.Insecure.PBKDF2.deriveKey(
                from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: length,
                unsafeUncheckedRounds: iterations)
            return key.withUnsafeBytes { Array($0) }
        } catch {
            throw FTPConfigurationError("PBKDF2 failed: \(error)")
        }
    }

    /// Compares in time that depends only on the length, so a mismatch does not tell where it is.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
