import Balancer
import FTPKit
import Foundation
import Logging

/// The embedded default: FTP nodes in this process on loopback, each over a directory of its own, reachable
/// only with a password made up for this run.
final class LocalNodes: Sendable {
    let servers: [FTPServer]
    let tasks: [Task<Void, any Error>]
    let configurations: [NodeConfiguration]

    private init(servers: [FTPServer], tasks: [Task<Void, any Error>], configurations: [NodeConfiguration]) {
        self.servers = servers
        self.tasks = tasks
        self.configurations = configurations
    }

    static func start(count: Int, under data: String) async throws -> LocalNodes {
        let password = (0..<24).map { _ in "abcdefghijkmnpqrstuvwxyz23456789".randomElement() ?? "x" }.map(String.init).joined()
        var servers: [FTPServer] = []
        var tasks: [Task<Void, any Error>] = []
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
            let config = FTPServerConfiguration(
                host: "127.0.0.1", port: 0, storage: storage,
                authenticator: StaticAuthenticator([("bot", password, .all)]))
            let server = try await FTPServer.bind(configuration: config, logger: logger)
            servers.append(server)
            tasks.append(Task { try await server.run() })
            configurations.append(NodeConfiguration(
                name: "node\(i)", host: "127.0.0.1", port: server.localPort, user: "bot", password: password))
        }
        return LocalNodes(servers: servers, tasks: tasks, configurations: configurations)
    }

    func stop() async {
        for s in self.servers { await s.shutdown(gracePeriod: .seconds(5)) }
        for t in self.tasks { _ = try? await t.value }
    }
}
