import Balancer
import DiscordKit
import FileBot
import Foundation
import OperationsHTTP

extension BotConfiguration {
    /// Every value that is out of range, malformed or contradicts another, each with its place: all of them at
    /// once, so an operator fixes a file in one pass.
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

    /// `HOST:PORT`, with an IPv6 host in brackets (`[::1]:8080`, as in URLs); the host comes back without them.
    static func hostPort(_ text: String) -> (String, Int)? {
        ListenAddress(parsing: text).map { ($0.host, $0.port) }
    }
}
