import Balancer

/// `ftpbot`'s configuration file (JSON). Every field is optional: with none, the bot runs three local nodes.
struct BotConfiguration: Decodable, Sendable {
    var nodes: [Node]?
    var catalog: Catalog?
    /// Seconds between maintenance rounds (health, pending deletions, repair; default 30).
    var maintenanceInterval: Double?
    /// Spaces a maintenance round audits (lists on every node and repairs), in turn (default 64).
    var maintenanceSpacesPerRound: Int?
    /// The gateway shards this process runs, `IDS/COUNT` (`0-1/4`); default: all, as many as Discord recommends.
    var shards: String?
    var localNodes: Int?
    var http: HTTP?
    var dataDirectory: String?
    var strategy: String?
    var replicas: Int?
    var prefixes: [String]?
    /// Role IDs whose members may delete anyone's files.
    var adminRoles: [String]?
    /// Channel IDs where commands are taken (empty: everywhere).
    var allowedChannels: [String]?
    /// Register slash commands in this guild (instant) instead of globally.
    var guildID: String?
    var maxFileSize: Int64?
    var userQuota: Int64?
    var apiBaseURL: String?
    var gatewayURL: String?
    /// Seconds Discord or its CDN may keep a transfer waiting (no answer, no next byte) before it fails (default 60).
    var discordStallTimeout: Double?
    /// `HOST:PORT` for Prometheus metrics (`/metrics`) and `/health`.
    var metricsAddress: String?
    /// Guild id → a named space several guilds share (each guild otherwise has its own).
    var spaces: [String: String]?
    /// `private` (each person's direct messages are a space of their own, the default) or `refuse`.
    var directMessages: String?
    /// What uploading an existing name does: `keepBoth` (default), `replace` or `reject`.
    var onNameCollision: String?
    /// What whole downloads are checked against: `crc32c` (default) or `sha256` (``DownloadCheck``).
    var downloadCheck: String?

    /// The fields a configuration file may have, by place; anything else is reported (a misspelt key is
    /// otherwise silently ignored).
    static let knownKeys: [String: Set<String>] = [
        "": ["nodes", "catalog", "shards", "maintenanceInterval", "maintenanceSpacesPerRound", "localNodes", "dataDirectory", "strategy", "replicas", "prefixes", "adminRoles",
             "allowedChannels", "guildID", "maxFileSize", "userQuota", "apiBaseURL", "gatewayURL", "discordStallTimeout", "metricsAddress",
             "spaces", "directMessages", "onNameCollision", "downloadCheck", "http"],
        "http": ["address", "publicURL", "linkLifetime", "maxLinkLifetime", "keyFile", "trustedProxies", "idleTimeout", "enabled"],
        "nodes[]": ["name", "host", "port", "user", "password", "passwordFile", "passwordEnv", "weight",
                    "maxConnections", "tls"],
        "nodes[].tls": ["mode", "caFile", "pinnedSHA256"],
        "catalog": ["url", "passwordFile", "passwordEnv"],
    ]

    /// A problem and where it is (`nodes[1].port`).
    struct Problem: Sendable, CustomStringConvertible {
        var location: String
        var message: String
        var description: String { "\(self.location): \(self.message)" }
    }

    static let empty = BotConfiguration()

    /// What whole downloads are checked against (validated: an unknown name was reported at load).
    var check: DownloadCheck { self.downloadCheck.flatMap(DownloadCheck.init(rawValue:)) ?? .crc32c }
}
