import ArgumentParser
import FTPKit
import Foundation

/// `ftpd cert`: a self-signed certificate and key for testing FTPS (or for nodes whose clients pin it).
struct Certificate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Create a self-signed certificate and key (ECDSA P-256) for FTPS.",
        discussion: "Prints the certificate's SHA-256 fingerprint, which clients can pin.")

    @Option(help: "Where to write cert.pem and key.pem.")
    var out: String = "."

    @Option(name: .customLong("name"), help: "Host names or IP addresses it is valid for (repeatable; the first is the common name).")
    var names: [String] = ["localhost", "127.0.0.1"]

    @Option(help: "Days of validity.")
    var days: Int = 365

    @Flag(help: "Replace existing files.")
    var force = false

    func run() async throws {
        let generated: SelfSignedCertificate
        do {
            generated = try SelfSignedCertificate.generate(names: self.names, days: self.days)
        } catch {
            throw ValidationError(error.message)
        }
        try FileManager.default.createDirectory(atPath: self.out, withIntermediateDirectories: true)
        let certPath = self.out + "/cert.pem", keyPath = self.out + "/key.pem"
        for path in [certPath, keyPath] where !self.force && FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(path) exists; use --force to replace it")
        }
        // The key is written readable by its owner only, from the first byte.
        guard FileManager.default.createFile(
            atPath: keyPath, contents: Data(generated.privateKeyPEM.utf8), attributes: [.posixPermissions: 0o600])
        else { throw ValidationError("cannot write \(keyPath)") }
        try Data(generated.certificatePEM.utf8).write(to: URL(fileURLWithPath: certPath))
        print("wrote \(certPath) and \(keyPath) for \(self.names.joined(separator: ", ")), valid \(self.days) days")
        print("SHA-256 fingerprint (for pinning): \(generated.fingerprintSHA256)")
    }
}
