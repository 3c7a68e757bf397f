/// Everything an ``FTPServer`` needs: where to listen, what to serve, who may log in and the limits that keep one
/// client from disturbing the others. Defaults follow vsftpd's where it has one.
public struct FTPServerConfiguration: Sendable {
    /// The address to listen on (`0.0.0.0` or `::` for every interface).
    public var host: String
    /// 0 picks an ephemeral port (see ``FTPServer/localPort``).
    public var port: Int
    /// Where files live (``LocalFileStorage`` for a directory, ``MemoryStorage`` for tests).
    public var storage: any FTPStorage
    /// Who may log in (``UsersFileAuthenticator`` for a users file of PBKDF2 hashes).
    public var authenticator: any FTPAuthenticator
    /// When set, `USER anonymous` logs in as this user (give it read-only permissions).
    public var anonymousUser: FTPUser?

    /// Ports for passive data connections; `nil` lets the kernel choose. Behind NAT or HAProxy give each node its
    /// own range and forward it.
    public var passivePorts: ClosedRange<Int>?
    /// The IPv4 address announced in `227` replies (the public, VPN or proxy address). Defaults to the address the
    /// client reached.
    public var advertisedAddress: String?
    /// The address announced in `227` replies by client network (`10.8.0.0/16=10.8.0.2,0.0.0.0/0=203.0.113.7`);
    /// wins over ``advertisedAddress`` for the clients it covers. Must be ``FTPAdvertisedAddresses/resolved()``.
    /// Replace it on a running server with ``FTPServer/updateAdvertisedAddresses(_:)``.
    public var advertisedAddresses: FTPAdvertisedAddresses?
    /// Whether `PORT`/`EPRT` are allowed (the server connecting to the client; only ever to the client's own address).
    public var allowActiveMode: Bool = true

    /// The most sessions at once; the connection over it gets 421 before the greeting.
    public var maxSessions: Int = 2000
    /// The most sessions at once from one client address (the real one, after PROXY).
    public var maxSessionsPerAddress: Int = 50
    /// The most sessions one user may have logged in at once, from any addresses (`nil`: no limit); a user's own
    /// ``FTPUser/maxSessions`` wins. The login over the limit gets 421 and the connection closes.
    public var maxSessionsPerUser: Int?
    /// The quota of users who have none of their own (``FTPUser/quota``): bytes and files below their root
    /// (`nil`: no quota). Uploads past it get 552; `AVBL` reports what it leaves.
    public var defaultQuota: FTPQuota?
    /// The whole server's transfer rates, shared by every session (token buckets; listings are not counted).
    public var bandwidth: FTPBandwidthLimits = .unlimited
    /// Each user's rates, shared by all that user's sessions, for users with none of their own
    /// (``FTPUser/bandwidth``). Both this and ``bandwidth`` apply: a transfer goes at the lower.
    public var userBandwidth: FTPBandwidthLimits = .unlimited
    /// A session with no command for this long is closed with 421 (transfers in progress keep it alive).
    public var idleTimeout: Duration = .seconds(300)
    /// How long to wait for a data connection, and the longest a data connection may stall.
    public var dataTimeout: Duration = .seconds(30)
    /// How long a session being closed (idle, shut down, QUIT, too many failures) waits for the client to read its
    /// last replies. Past it the connection is reset: a client that never reads would otherwise keep its session,
    /// its slot and the unsent replies forever.
    public var closeTimeout: Duration = .seconds(10)
    /// Pause before answering a failed login.
    public var loginFailureDelay: Duration = .seconds(1)
    /// Failed logins in one session before it is closed.
    public var maxLoginFailures: Int = 3
    /// Failed logins from one address within ``loginFailureWindow`` before that address is refused for
    /// ``banDuration``.
    public var banThreshold: Int = 10
    /// The window in which ``banThreshold`` failed logins ban an address.
    public var loginFailureWindow: Duration = .seconds(600)
    /// How long a banned address is refused.
    public var banDuration: Duration = .seconds(900)
    /// The longest command line accepted, in bytes; a longer one gets 500 and is discarded.
    public var maxCommandLength: Int = 4096
    /// Commands a client may pipeline while a transfer runs before it is disconnected.
    public var maxQueuedCommands: Int = 64
    /// The greeting's text after `220`.
    public var banner: String = "Seed FTP server ready."
    /// FTPS: a certificate and key turn on AUTH TLS (RFC 4217). `nil` serves plain FTP only.
    public var tls: TLSConfiguration?
    /// What must be encrypted when `tls` is set.
    public var tlsPolicy: FTPTLSPolicy = .optional
    /// Data connections must resume the control connection's TLS session (vsftpd's `require_ssl_reuse`), so a
    /// stolen data port is useless. Turn off only for clients that cannot resume (Python's ftplib).
    public var requireTLSSessionReuse: Bool = true
    /// An upload over TLS is stored only when the client ended it with a close_notify (vsftpd's
    /// `strict_ssl_read_eof`): anyone on the path can forge a TCP FIN and cut an upload short, not a close_notify.
    /// Turn off only for clients that close without one (pyftpdlib's `ftpbench -S`); their uploads are then stored
    /// when the TCP connection ends, as vsftpd does by default.
    public var requireTLSCloseNotify: Bool = true
    /// Implicit FTPS: a second listener (by convention port 990) where TLS starts with the first byte. Needs
    /// `tls`; `0` picks a free port.
    public var implicitTLSPort: Int?
    /// Load balancers (HAProxy) allowed to send a PROXY protocol header (v1 or v2) with the client's real address.
    /// Connections from these addresses must start with one; anyone else who sends one is refused. Limits, bans,
    /// logs and the PORT bounce check then use the real address, and a passive data connection may come from the
    /// proxy (which forwards the client's) as well as from the client.
    public var trustedProxies: [String] = []
    /// Which client addresses may connect at all (checked on the real address, after PROXY); refused ones get
    /// 421 before the greeting. Users can be restricted further in the users file (`allow`, `deny`).
    public var addressPolicy = FTPAddressPolicy()
    /// Receives one record per login (ok or failed), transfer, delete, rename, mkdir and rmdir (``FTPAuditLog``
    /// writes them to a file as JSON lines).
    public var auditSink: (any FTPAuditSink)?
    /// Computes the SHA-256 of every upload's stored bytes and every download's file bytes while they stream,
    /// for the audit records' `sha256`. It costs a digest pass over the data, and downloads then read and write
    /// through memory instead of `sendfile(2)`; off by default.
    public var auditDigests = false
    /// How long a graceful shutdown from a service group (``FTPServer/run()`` in a `ServiceGroup`) lets sessions
    /// finish their transfers before closing them.
    public var shutdownGracePeriod: Duration = .seconds(30)

    /// A server on `host:port` serving `storage` to the users `authenticator` accepts (and anonymous logins as
    /// `anonymousUser`, when given); every other setting has a default and can be set afterwards.
    public init(
        host: String = "127.0.0.1", port: Int = 21, storage: any FTPStorage, authenticator: any FTPAuthenticator,
        anonymousUser: FTPUser? = nil
    ) {
        self.host = host
        self.port = port
        self.storage = storage
        self.authenticator = authenticator
        self.anonymousUser = anonymousUser
    }

    var session: FTPSessionConfiguration {
        var s = FTPSessionConfiguration(anonymousUser: self.anonymousUser)
        s.maxLoginFailures = self.maxLoginFailures
        s.allowActiveMode = self.allowActiveMode
        s.banner = self.banner
        s.tlsPolicy = self.tls == nil ? nil : self.tlsPolicy
        s.idleTimeout = self.idleTimeout
        s.loginFailureDelay = self.loginFailureDelay
        s.maxQueuedCommands = self.maxQueuedCommands
        return s
    }

    /// Checks values that would make the server misbehave, with a message per problem.
    public func validate() throws(FTPConfigurationError) {
        if let r = self.passivePorts, r.lowerBound < 1024 || r.upperBound > 65535 {
            throw FTPConfigurationError("passive ports must lie within 1024-65535, got \(r.lowerBound)-\(r.upperBound)")
        }
        if let a = self.advertisedAddress, !IPAddressText.isIPv4(a) {
            throw FTPConfigurationError("advertised address must be an IPv4 address, got '\(a)'")
        }
        if let map = self.advertisedAddresses, !map.isResolved {
            throw FTPConfigurationError("advertised addresses must be resolved to IPv4 addresses first: \(map)")
        }
        if self.maxSessions < 1 || self.maxSessionsPerAddress < 1 || (self.maxSessionsPerUser ?? 1) < 1 {
            throw FTPConfigurationError("session limits must be at least 1")
        }
        // A zero idle timeout would close every session the moment it falls quiet, and a zero data timeout would
        // cut every transfer: neither means "no limit" here.
        for (name, value) in [("idle timeout", self.idleTimeout), ("data timeout", self.dataTimeout),
                              ("close timeout", self.closeTimeout), ("login failure window", self.loginFailureWindow)]
        where value <= .zero {
            throw FTPConfigurationError("the \(name) must be longer than zero, got \(value)")
        }
        for (name, value) in [("login failure delay", self.loginFailureDelay), ("ban duration", self.banDuration),
                              ("shutdown grace period", self.shutdownGracePeriod)]
        where value < .zero {
            throw FTPConfigurationError("the \(name) cannot be negative, got \(value)")
        }
        if self.maxLoginFailures < 1 || self.banThreshold < 1 || self.maxQueuedCommands < 1 {
            throw FTPConfigurationError("login failure, ban and queued-command limits must be at least 1")
        }
        for rate in [self.bandwidth, self.userBandwidth].flatMap({ [$0.uploadBytesPerSecond, $0.downloadBytesPerSecond] }) {
            if let rate, rate < 1024 { throw FTPConfigurationError("bandwidth limits must be at least 1K per second, got \(rate)") }
        }
        if !(0...65535).contains(self.port) { throw FTPConfigurationError("port \(self.port) is out of range") }
        if self.maxCommandLength < 512 { throw FTPConfigurationError("maximum command length must be at least 512") }
        for proxy in self.trustedProxies where !IPAddressText.isIPv4(proxy) && !IPAddressText.isIPv6(proxy) {
            throw FTPConfigurationError("trusted proxy '\(proxy)' is not an IP address")
        }
        if let implicit = self.implicitTLSPort {
            guard self.tls != nil else { throw FTPConfigurationError("implicit FTPS needs a certificate and key") }
            guard (0...65535).contains(implicit), implicit == 0 || implicit != self.port else {
                throw FTPConfigurationError("implicit FTPS port \(implicit) is out of range or the same as the control port")
            }
        }
    }
}
