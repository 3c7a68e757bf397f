extension BotConfiguration {
    /// One FTP node of the cluster: where it is, whom to log in as, its weight and connection limit, and TLS.
    struct Node: Decodable, Sendable {
        var name: String
        var host: String
        var port: Int?
        var user: String?
        /// The password itself (discouraged), or where to read it: a file, or an environment variable.
        var password: String?
        var passwordFile: String?
        var passwordEnv: String?
        var weight: Double?
        var maxConnections: Int?
        var tls: TLS?
        /// `passwordFile`'s text, read once at start (``BotConfiguration/readPasswordFiles()``), so the file may be a
        /// pipe and is not read again when the cluster connects. Not a key of the file.
        var passwordFromFile: String? = nil

        private enum CodingKeys: String, CodingKey {
            case name, host, port, user, password, passwordFile, passwordEnv, weight, maxConnections, tls
        }
    }

    /// FTPS to a node: `{"mode": "explicit"|"implicit", "caFile": PATH}` or `{"pinnedSHA256": "AB:CD:…"}`.
    struct TLS: Decodable, Sendable {
        var mode: String?
        var caFile: String?
        var pinnedSHA256: String?
    }
}
