import Balancer
import FTPKit
import FileBot
import Foundation

extension BotConfiguration {
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
