/// How an ``FTPClient`` connects and behaves.
public struct FTPClientConfiguration: Sendable {
    /// Who opens data connections.
    public enum DataMode: Sendable, Hashable {
        /// EPSV, falling back to PASV (the default; works through NAT).
        case passive
        /// EPRT, falling back to PORT: the server connects to us.
        case active
    }

    /// The longest wait for the TCP connection (and, with FTPS, its handshake).
    public var connectTimeout: Duration = .seconds(10)
    /// The longest wait for any reply.
    public var replyTimeout: Duration = .seconds(30)
    /// The longest a data connection may stay silent.
    public var dataTimeout: Duration = .seconds(60)
    /// Passive (the default) or active data connections.
    public var dataMode: DataMode = .passive
    /// Use the address of a `227` reply. Off by default: servers behind NAT announce private addresses, so the
    /// control connection's host is used instead (as curl and Python's ftplib do).
    public var trustPassiveAddress: Bool = false
    /// Chunk size for reading local files during uploads that do not use `sendfile` (two reads stay in flight).
    /// Each chunk costs hops to the thread pool and back: 256 KiB chunks meant 23,000 context switches per GiB
    /// uploaded, 1 MiB a quarter of that and less CPU than curl's loop.
    public var chunkSize: Int = 1024 * 1024
    /// How ``FTPClient/uploadFile(from:to:resume:progress:)`` moves a file's bytes to the socket.
    public var fileSending: FileSending = .automatic
    /// FTPS (RFC 4217); `nil` is plain FTP.
    public var ftps: FTPSSettings?

    /// The defaults: passive mode, plain FTP, the timeouts above.
    public init() {}
}

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

/// Bytes moved so far and, when known, the total.
public struct FTPTransferProgress: Sendable, Hashable {
    /// Bytes moved so far (for a resumed transfer, counted from the start of the file).
    public var bytes: UInt64
    /// The whole size, when the server or the local file told it.
    public var total: UInt64?

    /// Progress of `bytes` out of `total`.
    public init(bytes: UInt64, total: UInt64?) {
        self.bytes = bytes
        self.total = total
    }

    /// `bytes / total` from 0 to 1, when the total is known (an empty file is done).
    public var fraction: Double? { self.total.map { $0 == 0 ? 1 : Double(self.bytes) / Double($0) } }
}

/// What the server announced in `FEAT` (RFC 2389).
public struct FTPFeatures: Sendable, Hashable {
    /// Feature names, upper-cased, mapped to their parameters (`"MLST": "type*;size*;"`).
    public var entries: [String: String]

    /// Features as already parsed.
    public init(entries: [String: String] = [:]) { self.entries = entries }

    /// Parses a `211` reply to `FEAT`.
    public init(reply: FTPReply) {
        var e: [String: String] = [:]
        for line in reply.lines.dropFirst().dropLast() {
            let trimmed = line.trimmingSpaces()
            guard !trimmed.isEmpty else { continue }
            let parts = trimmed.split(separator: " ", maxSplits: 1)
            e[parts[0].uppercased()] = parts.count > 1 ? String(parts[1]) : ""
        }
        self.entries = e
    }

    /// Whether the server announced `name` (any case).
    public func supports(_ name: String) -> Bool { self.entries[name.uppercased()] != nil }

    /// The hash algorithms of the HASH extension, and which one is selected (marked `*`).
    public var hashAlgorithms: [String] {
        (self.entries["HASH"] ?? "").split(separator: ";").map { $0.replacingOccurrences(of: "*", with: "") }
    }
}
