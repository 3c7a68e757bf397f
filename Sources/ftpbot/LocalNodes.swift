import Balancer
import FTPKit
import Foundation
import Logging

/// The embedded default: FTP nodes in this process on loopback, each over a directory of its own, reachable
/// only with a password made up for this run. They accept sessions from ``start(count:under:)`` on; the servers are
/// services of the bot's group, which shuts them down last.
final class LocalNodes: Sendable {
    let servers: [FTPServer]
    let configurations: [NodeConfiguration]

    private init(servers: [FTPServer], configurations: [NodeConfiguration]) {
        self.servers = servers
        self.configurations = configurations
    }

    static func start(count: Int, under data: String) async throws -> LocalNodes {
        let password = (0..<24).map { _ in "abcdefghijkmnpqrstuvwxyz23456789".randomElement() ?? "x" }.map(String.init).joined()
        var servers: [FTPServer] = []
        var configurations: [NodeConfiguration] = []
        var logger = Logger(label: "ftpbot.node")
        logger.logLevel = .error
        for i in 0..<count {
            let root = "\(data)/node\(i)"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let storage = try LocalFileStorage(root: root)
            // A previous ftpbot killed mid-upload left its nodes' temporary files; nobody else removes them.
            for leftover in (try? await storage.removeAbandonedUploads()) ?? [] {
                Logger(label: "ftpbot.node").notice("cleaned up an upload left by a process that stopped", metadata: [
                    "node": "node\(i)", "path": "\(leftover.path)", "undo": "\(leftover)",
                ])
            }
            var config = FTPServerConfiguration(
                host: "127.0.0.1", port: 0, storage: storage,
                authenticator: StaticAuthenticator([("bot", password, .all)]))
            config.shutdownGracePeriod = .seconds(5)
            let server = try await FTPServer.bind(configuration: config, logger: logger)
            servers.append(server)
            configurations.append(NodeConfiguration(
                name: "node\(i)", host: "127.0.0.1", port: server.localPort, user: "bot", password: password))
        }
        return LocalNodes(servers: servers, configurations: configurations)
    }

    /// Stops nodes whose group never ran (the bot failed to start).
    func stop() async {
        for s in self.servers { await s.shutdown(gracePeriod: .seconds(5)) }
    }
}
