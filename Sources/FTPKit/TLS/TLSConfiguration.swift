/// TLS settings for FTPS, on either side.
public struct TLSConfiguration: Sendable, Hashable {
    public enum Verification: Sendable, Hashable {
        /// Certificate chain and host name (the default for clients).
        case full
        /// Chain only, any host name.
        case noHostname
        /// Nothing is verified: for tests against self-signed servers only.
        case none
    }

    public enum Version: Sendable, Hashable { case tls12, tls13 }

    /// PEM files with the certificate chain and private key (required for servers).
    public var certificateChainPath: String?
    public var privateKeyPath: String?
    /// A PEM file of trusted CAs; `nil` uses the system's store.
    public var trustedCAPath: String?
    public var verification: Verification
    public var minimumVersion: Version
    /// OpenSSL cipher list for TLS 1.2 (`nil`: OpenSSL's defaults).
    public var cipherList: String?

    public init(
        certificateChainPath: String? = nil, privateKeyPath: String? = nil, trustedCAPath: String? = nil,
        verification: Verification = .full, minimumVersion: Version = .tls12, cipherList: String? = nil
    ) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.trustedCAPath = trustedCAPath
        self.verification = verification
        self.minimumVersion = minimumVersion
        self.cipherList = cipherList
    }

    /// A server configuration from a certificate chain and key.
    public static func server(certificateChainPath: String, privateKeyPath: String) -> TLSConfiguration {
        TLSConfiguration(certificateChainPath: certificateChainPath, privateKeyPath: privateKeyPath, verification: .none)
    }
}

/// An OpenSSL failure, with OpenSSL's own words.
public struct TLSError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { self.message }
}
