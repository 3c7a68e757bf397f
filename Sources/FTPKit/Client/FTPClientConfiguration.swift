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
