import Balancer
import FTPKit
import Foundation

extension BotConfiguration {
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
                problems.append(Problem(location: "catalog.passwordFile", message: "\(file) cannot be read (\(WholeFile.reason(error)))"))
            }
        }
        for (i, node) in (self.nodes ?? []).enumerated() {
            guard let file = node.passwordFile, node.passwordFromFile == nil else { continue }
            do {
                self.nodes?[i].passwordFromFile = try Self.password(inFile: file)
            } catch {
                problems.append(Problem(location: "nodes[\(i)].passwordFile", message: "\(file) cannot be read (\(WholeFile.reason(error)))"))
            }
        }
        return problems
    }

    /// A password file's password: its text without the whitespace and newlines around it.
    static func password(inFile path: String) throws -> String {
        try WholeFile.text(path).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Reads and checks a file; returns every problem found, not only the first.
    static func load(path: String, environment: [String: String]) -> (BotConfiguration?, [Problem]) {
        let data: Data
        do {
            data = try WholeFile.data(path)
        } catch {
            return (nil, [Problem(location: path, message: "cannot be read (\(WholeFile.reason(error)))")])
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
}
