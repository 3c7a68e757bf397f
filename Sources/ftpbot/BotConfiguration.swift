import Balancer
import DiscordKit
import FTPKit
import FileBot
import OperationsHTTP
import Foundation

/// `ftpbot`'s configuration file (JSON). Every field is optional: with none, the bot runs three local nodes.
struct BotConfiguration: Decodable, Sendable {
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

    /// Where the catalog lives: `"sqlite:PATH"` or `"postgres://USER@HOST:PORT/DB"`, or an object with `url` and
    /// where its password is (`passwordFile`, `passwordEnv`; default `$PGPASSWORD`).
    struct Catalog: Decodable, Sendable {
        var url: String
        var passwordFile: String?
        var passwordEnv: String?
        /// `passwordFile`'s text, read once at start (``BotConfiguration/readPasswordFiles()``). Not a key of the file.
        var passwordFromFile: String? = nil

        init(url: String, passwordFile: String? = nil, passwordEnv: String? = nil) {
            self.url = url
            self.passwordFile = passwordFile
            self.passwordEnv = passwordEnv
        }

        private enum Keys: String, CodingKey { case url, passwordFile, passwordEnv }

        init(from decoder: any Decoder) throws {
            if let url = try? decoder.singleValueContainer().decode(String.self) {
                self.init(url: url)
                return
            }
            let object = try decoder.container(keyedBy: Keys.self)
            self.init(url: try object.decode(String.self, forKey: .url),
                      passwordFile: try object.decodeIfPresent(String.self, forKey: .passwordFile),
                      passwordEnv: try object.decodeIfPresent(String.self, forKey: .passwordEnv))
        }

        /// The location, its password read now (never logged).
        func location(environment: [String: String]) throws -> CatalogLocation {
            var password = environment["PGPASSWORD"]
            if let file = self.passwordFile {
                password = try self.passwordFromFile ?? BotConfiguration.password(inFile: file)
            } else if let env = self.passwordEnv {
                password = environment[env]
            }
            return try CatalogLocation(parsing: self.url, password: password)
        }
    }

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

    /// The configuration a command runs with: the file (`file`, else `$FTPBOT_CONFIG`) or the environment alone,
    /// then the command line's settings (`override`), which win; and every problem found. Without a file the
    /// settings are checked after the overrides, so a bad command-line value is reported too.
    static func resolve(
        file: String?, environment: [String: String], override: (inout BotConfiguration) -> Void
    ) -> (BotConfiguration, [Problem]) {
        var configuration = BotConfiguration.empty
        var problems: [Problem] = []
        if let path = file ?? environment["FTPBOT_CONFIG"] {
            let (loaded, found) = Self.load(path: path, environment: environment)
            configuration = loaded ?? .empty
            problems = found
            override(&configuration)
        } else {
            configuration.applyEnvironment(environment)
            override(&configuration)
            problems = configuration.readPasswordFiles() + configuration.problems(environment: environment)
        }
        return (configuration, problems)
    }

    /// Takes the file's relative paths beside it (``ConfigurationPath``): the data directory, password and CA
    /// files, the link key, an SQLite catalog.
    mutating func anchorPaths(_ paths: ConfigurationPath) {
        let anchor = paths.resolve
        self.dataDirectory = anchor(self.dataDirectory)
        if var http = self.http {
            http.keyFile = anchor(http.keyFile)
            self.http = http
        }
        if var catalog = self.catalog {
            catalog.passwordFile = anchor(catalog.passwordFile)
            if catalog.url.hasPrefix("sqlite:"), let path = anchor(String(catalog.url.dropFirst("sqlite:".count))) {
                catalog.url = "sqlite:" + path
            }
            self.catalog = catalog
        }
        self.nodes = self.nodes?.map { node in
            var node = node
            node.passwordFile = anchor(node.passwordFile)
            if var tls = node.tls {
                tls.caFile = anchor(tls.caFile)
                node.tls = tls
            }
            return node
        }
    }

    /// Reads every password file (the catalog's, the nodes') once, now: the file may then be a pipe or a
    /// process substitution, and checking the configuration does not read it a second time. Returns the files
    /// that could not be read (``problems(environment:)`` leaves them to it).
    mutating func readPasswordFiles() -> [Problem] {
        var problems: [Problem] = []
        if var catalog = self.catalog, let file = catalog.passwordFile, catalog.passwordFromFile == nil {
            do {
                catalog.passwordFromFile = try Self.password(inFile: file)
                self.catalog = catalog
            } catch {
                problems.append(Problem(location: "catalog.passwordFile", message: "\(file) cannot be read (\(Self.reason(error)))"))
            }
        }
        for (i, node) in (self.nodes ?? []).enumerated() {
            guard let file = node.passwordFile, node.passwordFromFile == nil else { continue }
            do {
                self.nodes?[i].passwordFromFile = try Self.password(inFile: file)
            } catch {
                problems.append(Problem(location: "nodes[\(i)].passwordFile", message: "\(file) cannot be read (\(Self.reason(error)))"))
            }
        }
        return problems
    }

    /// A password file's password: its text without the whitespace and newlines around it.
    static func password(inFile path: String) throws -> String {
        try WholeFile.text(path).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The sentence of a read's error, without Foundation's decoration.
    static func reason(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return error.localizedDescription
    }

    /// Reads and checks a file; returns every problem found, not only the first.
    static func load(path: String, environment: [String: String]) -> (BotConfiguration?, [Problem]) {
        let data: Data
        do {
            data = try WholeFile.data(path)
        } catch {
            return (nil, [Problem(location: path, message: "cannot be read (\((error as NSError).localizedDescription))")])
        }
        var config: BotConfiguration
        do {
            config = try JSONDecoder().decode(BotConfiguration.self, from: data)
        } catch let error as DecodingError {
            return (nil, [Self.describe(error, file: path, data: data)])
        } catch {
            return (nil, [Problem(location: path, message: "\(error)")])
        }
        // Paths in the file are its neighbours; paths from the environment and the command line stay relative to
        // the working directory.
        config.anchorPaths(ConfigurationPath(file: path))
        config.applyEnvironment(environment)
        let unread = config.readPasswordFiles()
        let unknown = Self.unknownKeys(in: data)
        return (config, (unknown + unread + config.problems(environment: environment)).map {
            Problem(location: "\(path): \($0.location)", message: $0.message)
        })
    }

    /// Keys the configuration does not know, with their place and the closest known key.
    static func unknownKeys(in data: Data) -> [Problem] {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        var problems: [Problem] = []
        func check(_ object: [String: Any], schema: String, at location: String) {
            let known = Self.knownKeys[schema] ?? []
            for key in object.keys.sorted() where !known.contains(key) {
                let close = FileNames.suggestions(for: key, among: known.sorted(), limit: 1)
                let place = location.isEmpty ? key : "\(location).\(key)"
                problems.append(Problem(location: place, message: "unknown key" + (close.first.map { " (did you mean '\($0)'?)" } ?? "")))
            }
        }
        check(root, schema: "", at: "")
        if let http = root["http"] as? [String: Any] { check(http, schema: "http", at: "http") }
        if let catalog = root["catalog"] as? [String: Any] { check(catalog, schema: "catalog", at: "catalog") }
        for (i, node) in ((root["nodes"] as? [Any]) ?? []).enumerated() {
            guard let node = node as? [String: Any] else { continue }
            check(node, schema: "nodes[]", at: "nodes[\(i)]")
            if let tls = node["tls"] as? [String: Any] { check(tls, schema: "nodes[].tls", at: "nodes[\(i)].tls") }
        }
        return problems
    }

    static func describe(_ error: DecodingError, file: String, data: Data) -> Problem {
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? file : "\(file): \(p.hasPrefix(".") ? String(p.dropFirst()) : p)"
        }
        switch error {
        case .typeMismatch(let type, let context):
            return Problem(location: path(context), message: "expected \(Self.typeName(type))")
        case .valueNotFound(let type, let context):
            return Problem(location: path(context), message: "expected \(Self.typeName(type)), found null")
        case .keyNotFound(let key, let context):
            return Problem(location: path(context), message: "missing required field '\(key.stringValue)'")
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return Problem(location: path(context), message: context.debugDescription)
        case .dataCorrupted(let context):
            if let syntax = JSONSyntax.problem(in: data) { return Problem(location: path(context), message: syntax) }
            if let misfit = JSONNumberMisfit.find(decoding: BotConfiguration.self, in: data) {
                return Problem(location: "\(file): \(misfit.path)", message: misfit.problem)
            }
            return Problem(location: path(context), message: context.debugDescription)
        @unknown default:
            return Problem(location: file, message: "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is [Any].Type: "a list"
        default: "\(type)".contains("Array") ? "a list" : "an object"
        }
    }

    /// What whole downloads are checked against (validated: an unknown name was reported at load).
    var check: DownloadCheck { self.downloadCheck.flatMap(DownloadCheck.init(rawValue:)) ?? .crc32c }

    /// Environment overrides, for containers and systemd units.
    mutating func applyEnvironment(_ environment: [String: String]) {
        if let v = environment["FTPBOT_STRATEGY"] { self.strategy = v }
        if let v = environment["FTPBOT_REPLICAS"], let n = Int(v) { self.replicas = n }
        if let v = environment["FTPBOT_DOWNLOAD_CHECK"] { self.downloadCheck = v }
        if let v = environment["FTPBOT_DATA"] { self.dataDirectory = v }
        if let v = environment["FTPBOT_SHARDS"] { self.shards = v }
        if let v = environment["FTPBOT_CATALOG"] { self.catalog = Catalog(url: v, passwordFile: self.catalog?.passwordFile, passwordEnv: self.catalog?.passwordEnv) }
        if let v = environment["DISCORD_API_URL"] { self.apiBaseURL = v }
        if let v = environment["DISCORD_GATEWAY_URL"] { self.gatewayURL = v }
        if let v = environment["DISCORD_GUILD_ID"] { self.guildID = v }
        if let v = environment["FTPBOT_METRICS_ADDRESS"] { self.metricsAddress = v }
        if let v = environment["FTPBOT_HTTP_ADDRESS"] { self.http = self.http ?? HTTP(); self.http?.address = v }
        if let v = environment["FTPBOT_PUBLIC_URL"] { self.http = self.http ?? HTTP(); self.http?.publicURL = v }
    }

    func problems(environment: [String: String]) -> [Problem] {
        var problems: [Problem] = []
        func add(_ location: String, _ message: String) { problems.append(Problem(location: location, message: message)) }
        // Read by applyEnvironment only when it is a number: anything else would be ignored without a word.
        if let replicas = environment["FTPBOT_REPLICAS"], Int(replicas) == nil {
            add("FTPBOT_REPLICAS", "'\(replicas)' is not a whole number")
        }
        if let strategy, PlacementStrategies.named(strategy) == nil {
            add("strategy", "unknown strategy '\(strategy)' (known: \(PlacementStrategies.all.map(\.name).joined(separator: ", ")))")
        }
        let nodeCount = self.nodes?.count ?? self.localNodes ?? 3
        if let local = self.localNodes, !(1...20).contains(local) { add("localNodes", "must be between 1 and 20") }
        if let nodes = self.nodes {
            if nodes.isEmpty { add("nodes", "is empty; remove it to run local nodes") }
            var names = Set<String>()
            for (i, node) in nodes.enumerated() {
                let at = "nodes[\(i)]"
                if node.name.isEmpty || node.name.contains("/") { add("\(at).name", "must be a non-empty name without '/'") }
                if !names.insert(node.name).inserted { add("\(at).name", "'\(node.name)' is used twice") }
                if node.host.isEmpty { add("\(at).host", "is empty") }
                if let port = node.port, !(1...65535).contains(port) { add("\(at).port", "\(port) is not a TCP port") }
                let sources = [node.password != nil, node.passwordFile != nil, node.passwordEnv != nil].filter { $0 }.count
                if sources > 1 { add(at, "give only one of password, passwordFile, passwordEnv") }
                if let env = node.passwordEnv, environment[env] == nil {
                    add("\(at).passwordEnv", "the environment variable \(env) is not set")
                }
                if let w = node.weight, !(w > 0) { add("\(at).weight", "must be positive") }
                if let m = node.maxConnections, m < 1 { add("\(at).maxConnections", "must be at least 1") }
                if let tls = node.tls {
                    if let mode = tls.mode, mode != "explicit" && mode != "implicit" {
                        add("\(at).tls.mode", "must be explicit or implicit")
                    }
                    if let ca = tls.caFile, !FileManager.default.isReadableFile(atPath: ca) {
                        add("\(at).tls.caFile", "\(ca) cannot be read")
                    }
                    if let pin = tls.pinnedSHA256, pin.filter(\.isHexDigit).count != 64 {
                        add("\(at).tls.pinnedSHA256", "is not a SHA-256 fingerprint (64 hex digits)")
                    }
                }
            }
        }
        if let r = self.replicas, !(1...max(1, nodeCount)).contains(r) {
            add("replicas", "must be between 1 and the number of nodes (\(nodeCount))")
        }
        if let prefixes = self.prefixes {
            if prefixes.isEmpty || prefixes.contains(where: { $0.isEmpty || $0.contains(" ") }) {
                add("prefixes", "must be a list of non-empty prefixes without spaces")
            }
        }
        for (field, ids) in [("adminRoles", self.adminRoles), ("allowedChannels", self.allowedChannels),
                             ("guildID", self.guildID.map { [$0] })] {
            for (i, id) in (ids ?? []).enumerated() where id.isEmpty || !id.allSatisfy({ $0.isASCII && $0.isNumber }) {
                add(field == "guildID" ? field : "\(field)[\(i)]", "'\(id)' is not a Discord ID (digits only)")
            }
        }
        for (guild, space) in (self.spaces ?? [:]).sorted(by: { $0.key < $1.key }) {
            if guild.isEmpty || !guild.allSatisfy(\.isASCII) || !guild.allSatisfy(\.isNumber) {
                add("spaces.\(guild)", "'\(guild)' is not a Discord server ID (digits only)")
            }
            if Space(space) == nil {
                add("spaces.\(guild)", "'\(space)' cannot name a space (1–64 letters, digits, '.', '_' or '-', starting with a letter or digit)")
            }
        }
        if let dm = self.directMessages, SpaceMap.DirectMessages(rawValue: dm) == nil {
            add("directMessages", "must be private or refuse")
        }
        if let check = self.downloadCheck, DownloadCheck(rawValue: check) == nil {
            add("downloadCheck", "must be crc32c or sha256")
        }
        if let policy = self.onNameCollision, Self.collisionPolicy(policy) == nil {
            add("onNameCollision", "must be keepBoth, replace or reject")
        }
        if let http = self.http {
            if let address = http.address, Self.hostPort(address) == nil { add("http.address", "'\(address)' is not HOST:PORT") }
            if let url = http.publicURL, URL(string: url)?.scheme.map({ $0 == "http" || $0 == "https" }) != true {
                add("http.publicURL", "'\(url)' is not an http(s) URL")
            }
            for (field, hours) in [("linkLifetime", http.linkLifetime), ("maxLinkLifetime", http.maxLinkLifetime)] {
                if let hours, !(hours > 0 && hours <= 24 * 365) { add("http.\(field)", "must be a number of hours between 0 and 8760") }
            }
            // The longest a link may be asked for is a limit: a default above it would silently lift it.
            if let hours = http.linkLifetime, hours > 0, hours <= 24 * 365, hours > http.maxLinkLifetime ?? 7 * 24 {
                let limit = http.maxLinkLifetime ?? 7 * 24
                add("http.linkLifetime", "\(String(format: "%g", hours)) hours is longer than http.maxLinkLifetime (\(String(format: "%g", limit)) hours)")
            }
            if let seconds = http.idleTimeout, !(seconds >= 1 && seconds <= 86400) {
                add("http.idleTimeout", "must be between 1 and 86400 seconds")
            }
            if let key = http.keyFile, !FileManager.default.isReadableFile(atPath: key) {
                add("http.keyFile", "\(key) cannot be read")
            }
        }
        if let seconds = self.discordStallTimeout, !(seconds >= 1 && seconds <= 86400) {
            add("discordStallTimeout", "must be between 1 and 86400 seconds")
        }
        if let interval = self.maintenanceInterval, !(interval >= 0.1 && interval <= 86400) {
            add("maintenanceInterval", "must be between 0.1 and 86400 seconds")
        }
        if let count = self.maintenanceSpacesPerRound, !(1...1_000_000).contains(count) {
            add("maintenanceSpacesPerRound", "must be between 1 and 1000000")
        }
        if let shards = self.shards {
            do {
                _ = try ShardSelection(parsing: shards)
            } catch {
                add("shards", error.description)
            }
        }
        if let catalog = self.catalog {
            if let env = catalog.passwordEnv, environment[env] == nil {
                add("catalog.passwordEnv", "the environment variable \(env) is not set")
            } else if catalog.passwordFile != nil && catalog.passwordEnv != nil {
                add("catalog", "give only one of passwordFile, passwordEnv")
            } else if catalog.passwordFile == nil || catalog.passwordFromFile != nil {  // else reported as unread
                do {
                    _ = try catalog.location(environment: environment)
                } catch {
                    add("catalog", "\(error)")
                }
            }
        }
        if let address = self.metricsAddress, Self.hostPort(address) == nil {
            add("metricsAddress", "'\(address)' is not HOST:PORT")
        }
        if let m = self.maxFileSize, m <= 0 { add("maxFileSize", "must be positive (bytes)") }
        if let q = self.userQuota, q <= 0 { add("userQuota", "must be positive (bytes)") }
        for (field, url) in [("apiBaseURL", self.apiBaseURL), ("gatewayURL", self.gatewayURL)] {
            if let url, URL(string: url)?.scheme == nil { add(field, "'\(url)' is not a URL") }
        }
        return problems
    }

    static func collisionPolicy(_ name: String) -> NameCollisionPolicy? {
        switch name {
        case "keepBoth": .keepBoth
        case "replace": .replace
        case "reject": .reject
        default: nil
        }
    }

    /// The use cases' rules from this configuration (checked by ``problems(environment:)`` first).
    var fileBotSettings: FileBotSettings {
        FileBotSettings(
            maxFileSize: UInt64(max(1, self.maxFileSize ?? (1 << 30))),
            quota: self.userQuota.map { UploadQuota(maxBytes: UInt64(max(0, $0))) },
            adminRoles: Set(self.adminRoles ?? []),
            collision: self.onNameCollision.flatMap(Self.collisionPolicy) ?? .keepBoth,
            spaces: SpaceMap(
                joined: (self.spaces ?? [:]).compactMapValues { Space($0) },
                directMessages: self.directMessages.flatMap(SpaceMap.DirectMessages.init(rawValue:)) ?? .private))
    }

    /// Where the catalog lives: the configured one, else `DATA/catalog.sqlite`.
    func catalogLocation(data: String, environment: [String: String]) throws -> CatalogLocation {
        try self.catalog.map { try $0.location(environment: environment) } ?? .sqlite(path: data + "/catalog.sqlite")
    }

    /// Where the files of a catalog from before spaces go: the configured guild's space; in console mode (`console`
    /// true) the console's, so the files stay in sight; else `default`.
    func legacySpace(console: Bool) -> Space {
        if let guild = self.guildID {
            return self.spaces?[guild].flatMap { Space($0) } ?? Space.guild(guild) ?? .default
        }
        return console ? .console : .default
    }

    /// `HOST:PORT`, with an IPv6 host in brackets (`[::1]:8080`, as in URLs); the host comes back without them.
    static func hostPort(_ text: String) -> (String, Int)? {
        ListenAddress(parsing: text).map { ($0.host, $0.port) }
    }

    /// The nodes as the cluster takes them (passwords read now; never logged).
    func nodeConfigurations(environment: [String: String]) throws -> [NodeConfiguration] {
        try (self.nodes ?? []).map { node in
            var password = node.password ?? ""
            if let file = node.passwordFile {
                password = try node.passwordFromFile ?? Self.password(inFile: file)
            } else if let env = node.passwordEnv {
                password = environment[env] ?? ""
            }
            var config = NodeConfiguration(
                name: node.name, host: node.host, port: node.port ?? 21, user: node.user ?? "anonymous",
                password: password)
            if let w = node.weight { config.weight = w }
            if let tls = node.tls {
                config.ftps = FTPSSettings(
                    mode: tls.mode == "implicit" ? .implicit : .explicit,
                    tls: TLSConfiguration(trustedCAPath: tls.caFile, pinnedCertificateSHA256: tls.pinnedSHA256))
            }
            if let m = node.maxConnections { config.maxConnections = m }
            return config
        }
    }
}
