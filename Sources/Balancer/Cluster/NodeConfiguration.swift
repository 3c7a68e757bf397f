public import FTPKit

/// One FTP server of the cluster. Its descriptions leave the password out, so a configuration can be logged.
public struct NodeConfiguration: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A unique name for the node (in listings, status and the catalog).
    public var name: String
    /// The FTP server's host.
    public var host: String
    /// The FTP server's port.
    public var port: Int
    /// The FTP user the cluster logs in as.
    public var user: String
    /// That user's password; never logged.
    public var password: String
    /// Relative capacity for weighted strategies.
    public var weight: Double
    /// Connections kept to this node.
    public var maxConnections: Int
    /// The directory on the node that holds the cluster's files.
    public var directory: String
    /// FTPS to this node (explicit or implicit, with CA or pinned-certificate verification); `nil` is plain FTP.
    public var ftps: FTPSSettings?
    /// The longest wait for a connection to the node.
    public var connectTimeout: Duration = .seconds(3)
    /// The longest wait for any reply from the node.
    public var replyTimeout: Duration = .seconds(15)
    /// The longest a transfer may stay silent before the node counts as failed (and a download moves on to
    /// another replica). Lower it on links that can be cut without a reset, such as a VPN.
    public var dataTimeout: Duration = .seconds(30)
    /// How a failing node is retried: after `failureThreshold` failures in a row requests skip it for a backoff that
    /// doubles from `initialBackoff`.
    public var retry = CircuitBreaker.Configuration()

    /// A node; see each property.
    public init(
        name: String, host: String, port: Int = 21, user: String = "anonymous", password: String = "anonymous@",
        weight: Double = 1, maxConnections: Int = 4, directory: String = "/"
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.weight = weight
        self.maxConnections = maxConnections
        self.directory = directory
    }

    func path(_ name: String) -> String { self.directory.hasSuffix("/") ? self.directory + name : self.directory + "/" + name }

    /// `name (ftp://user@host:port/directory)`, without the password.
    public var description: String {
        let directory = self.directory.hasPrefix("/") ? self.directory : "/" + self.directory
        return "\(self.name) (ftp\(self.ftps == nil ? "" : "s")://\(self.user)@\(self.host):\(self.port)\(directory))"
    }

    /// The same as ``description``: the password stays out of `String(reflecting:)` and debuggers' summaries too.
    public var debugDescription: String { self.description }
}
