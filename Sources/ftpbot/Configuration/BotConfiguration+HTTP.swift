extension BotConfiguration {
    /// The web front end: share links and the upload page.
    struct HTTP: Decodable, Sendable {
        /// `HOST:PORT` to listen on (default 127.0.0.1:8080, or the next free port).
        var address: String?
        /// What links point at (`https://files.example.net` behind a reverse proxy); default `http://ADDRESS`.
        var publicURL: String?
        /// Hours a download link works by default (24) and at most (168).
        var linkLifetime: Double?
        var maxLinkLifetime: Double?
        /// The key that signs links (default: `DATA/link.key`, made on first start).
        var keyFile: String?
        /// Reverse proxies whose `X-Forwarded-For` names the client.
        var trustedProxies: [String]?
        /// Seconds a connection may send nothing of a request or read nothing of a response (default 60).
        var idleTimeout: Double?
        /// `false` turns the web front end off.
        var enabled: Bool?
    }
}
