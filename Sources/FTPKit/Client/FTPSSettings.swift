/// How a client uses TLS.
public struct FTPSSettings: Sendable, Hashable {
    /// How TLS starts.
    public enum Mode: Sendable, Hashable {
        /// `AUTH TLS` on the plain control connection (port 21): the standard.
        case explicit
        /// TLS from the first byte (port 990).
        case implicit
    }

    /// Explicit (`AUTH TLS`) or implicit FTPS.
    public var mode: Mode
    /// Verification is on by default: the server's chain against the system's CAs (or `trustedCAPath`) and its
    /// host name; `pinnedCertificateSHA256` accepts exactly one certificate instead.
    public var tls: TLSConfiguration
    /// `PROT P`: encrypt data connections too (the default). Off, files travel in clear (`PROT C`).
    public var protectData: Bool
    /// The name to verify and send as SNI (default: the host connected to).
    public var serverName: String?

    /// FTPS settings; verification of the server's certificate and host name is on unless `tls` says otherwise.
    public init(mode: Mode = .explicit, tls: TLSConfiguration = TLSConfiguration(), protectData: Bool = true,
                serverName: String? = nil) {
        self.mode = mode
        self.tls = tls
        self.protectData = protectData
        self.serverName = serverName
    }
}
