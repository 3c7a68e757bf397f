/// TLS settings for FTPS, on either side.
public struct TLSConfiguration: Sendable, Hashable {
    /// What a side checks of its peer's certificate.
    public enum Verification: Sendable, Hashable {
        /// Certificate chain and host name (the default for clients).
        case full
        /// Chain only, any host name.
        case noHostname
        /// Nothing is verified: for tests against self-signed servers only.
        case none
    }

    /// The lowest TLS version accepted. TLS 1.0 and 1.1 are never offered.
    public enum Version: Sendable, Hashable { case tls12, tls13 }

    /// PEM files with the certificate chain and private key (required for servers).
    public var certificateChainPath: String?
    /// The private key of ``certificateChainPath``'s first certificate (PEM).
    public var privateKeyPath: String?
    /// A PEM file of trusted CAs; `nil` uses the system's store.
    public var trustedCAPath: String?
    /// How the peer's certificate is checked (clients; servers do not ask for client certificates).
    public var verification: Verification
    /// Connections below this version are refused (default TLS 1.2).
    public var minimumVersion: Version
    /// OpenSSL cipher list for TLS 1.2 (`nil`: OpenSSL's defaults), e.g. `ECDHE+AESGCM:ECDHE+CHACHA20`.
    public var cipherList: String?
    /// TLS 1.3 cipher suites in order of preference, colon-separated, e.g. `TLS_AES_256_GCM_SHA384`
    /// (`nil`: servers prefer AES-128-GCM, then ChaCha20-Poly1305, then AES-256-GCM; clients use OpenSSL's order).
    public var cipherSuites: String?
    /// Key exchange groups in order of preference, colon-separated, e.g. `X25519:P-256` (`nil`: OpenSSL's
    /// defaults).
    public var groups: String?
    /// Clients: the SHA-256 of the server certificate (DER, hex, colons allowed). When set, the certificate must
    /// match it exactly and takes the place of CA and host name verification (self-signed node certificates).
    public var pinnedCertificateSHA256: String?
    /// Application protocols to offer (clients) or accept (servers). FTPS uses `ftp` (the ALPACA mitigation:
    /// a TLS connection meant for another protocol is refused).
    public var applicationProtocols: [String]
    /// Data connections on TLS 1.3 seal their records in FTPKit, straight from the file's buffer into the socket's
    /// (through OpenSSL's kernel-TLS interface), instead of in OpenSSL's record layer, which copies every byte twice
    /// more. The handshake, the keys and every received record stay with OpenSSL. Off: OpenSSL does it all.
    public var sealsDataRecords: Bool = true
    /// Records a sealing connection sends under one key before it updates its keys (RFC 8446 §5.5 allows AES-GCM
    /// 2^24.5 full records per key: about 380 GiB). OpenSSL 3.0 never updates keys on its own. Lowered by tests.
    package var sealedRecordsPerKey: UInt64 = 1 << 24

    /// Settings for either side; see each property. Clients verify the chain and host name by default.
    public init(
        certificateChainPath: String? = nil, privateKeyPath: String? = nil, trustedCAPath: String? = nil,
        verification: Verification = .full, minimumVersion: Version = .tls12, cipherList: String? = nil,
        pinnedCertificateSHA256: String? = nil, applicationProtocols: [String] = ["ftp"],
        cipherSuites: String? = nil, groups: String? = nil
    ) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.trustedCAPath = trustedCAPath
        self.verification = verification
        self.minimumVersion = minimumVersion
        self.cipherList = cipherList
        self.cipherSuites = cipherSuites
        self.groups = groups
        self.pinnedCertificateSHA256 = pinnedCertificateSHA256
        self.applicationProtocols = applicationProtocols
    }

    /// The pin in the form compared against: lower-case hex without separators.
    var normalizedPin: String? {
        self.pinnedCertificateSHA256.map { $0.lowercased().filter { $0.isHexDigit } }
    }

    /// A server configuration from a certificate chain and key.
    public static func server(certificateChainPath: String, privateKeyPath: String) -> TLSConfiguration {
        TLSConfiguration(certificateChainPath: certificateChainPath, privateKeyPath: privateKeyPath, verification: .none)
    }
}

/// An OpenSSL failure, with OpenSSL's own words.
public struct TLSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, with OpenSSL's reason when it gave one.
    public var message: String
    /// An error with this message.
    public init(_ message: String) { self.message = message }
    public var description: String { self.message }

    /// The peer closed the TCP connection without a TLS close_notify: what it sent last may be missing (an attacker
    /// can forge a TCP FIN, not a close_notify). Reported on the pipeline when an active connection ends that way.
    public static let uncleanShutdown = TLSError(
        "the peer closed the connection without a TLS close_notify (unclean shutdown)")
}
