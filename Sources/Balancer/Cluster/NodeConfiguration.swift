public import FTPKit

/// One FTP server of the cluster.
public struct NodeConfiguration: Sendable, Hashable {
    public var name: String
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    /// Relative capacity for weighted strategies.
    public var weight: Double
    /// Connections kept to this node.
    public var maxConnections: Int
    /// The directory on the node that holds the cluster's files.
    public var directory: String
    /// FTPS to this node (explicit or implicit, with CA or pinned-certificate verification); `nil` is plain FTP.
    public var ftps: FTPSSettings?
    public var connectTimeout: Duration = .seconds(3)
    public var replyTimeout: Duration = .seconds(15)
    /// The longest a transfer may stay silent before the node counts as failed (and a download moves on to
    /// another replica). Lower it on links that can be cut without a reset, such as a VPN.
    public var dataTimeout: Duration = .seconds(30)
    /// How a failing node is retried: after `failureThreshold` failures in a row requests skip it for a backoff that
    /// doubles from `initialBackoff`.
    public var retry = CircuitBreaker.Configuration()

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
}
