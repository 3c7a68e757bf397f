/// The per-session rules the state machine enforces; derived from the server configuration.
public struct FTPSessionConfiguration: Sendable {
    /// Logged in as this user for `USER anonymous` / `USER ftp` with any password; `nil` refuses anonymous logins.
    public var anonymousUser: FTPUser?
    /// Failed `PASS` attempts before the session is closed with 421.
    public var maxLoginFailures: Int = 3
    /// Whether `PORT`/`EPRT` (the server connecting to the client) are allowed.
    public var allowActiveMode: Bool = true
    /// The greeting's text after `220`.
    public var banner: String = "Seed FTP server ready."
    /// The text of the `215` reply to `SYST`.
    public var systemName: String = "UNIX Type: L8"
    /// FTPS (RFC 4217) rules; `nil` when the server has no certificate (AUTH answers 502).
    public var tlsPolicy: FTPTLSPolicy?
    /// A session with no command for this long is closed with 421; running work (a transfer, a login's check)
    /// keeps it alive.
    public var idleTimeout: Duration = .seconds(300)
    /// How long a failed login's answer is held back (nothing else is answered meanwhile).
    public var loginFailureDelay: Duration = .seconds(1)
    /// Commands a client may send ahead while the session is busy before it is disconnected.
    public var maxQueuedCommands: Int = 64

    /// The defaults, with `anonymousUser` as the user of anonymous logins.
    public init(anonymousUser: FTPUser? = nil) {
        self.anonymousUser = anonymousUser
    }
}

/// How much of a session must be encrypted, as vsftpd's `force_local_logins_ssl` / `force_local_data_ssl`.
public enum FTPTLSPolicy: String, Sendable, Hashable, CaseIterable {
    /// Clients may use TLS (AUTH TLS, PROT P) or not.
    case optional
    /// Logins (except anonymous) need AUTH TLS first; data may be clear.
    case requiredForLogin = "login"
    /// Logins and every data connection (PROT P) must be encrypted.
    case required
}
