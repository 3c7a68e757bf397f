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
    public var systemName: String = "UNIX Type: L8"

    public init(anonymousUser: FTPUser? = nil) {
        self.anonymousUser = anonymousUser
    }
}
