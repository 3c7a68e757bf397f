import ArgumentParser
import Balancer
import DiscordKit
import Foundation
import Logging

@main
struct FTPBot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ftpbot",
        abstract: "The Seed file bot. Without a Discord token it runs locally: FTP nodes in-process and a console.")

    @Option(help: "Where the local nodes keep their files and the catalog lives.")
    var data: String = ".data/bot"

    @Option(help: "Local FTP nodes to start.")
    var nodes: Int = 3

    @Option(help: "Copies of each file (default 2 with two or more nodes).")
    var replicas: Int?

    @Option(help: "Placement strategy: \(PlacementStrategies.all.map(\.name).joined(separator: ", ")).")
    var strategy: String = "least-used"

    @Option(name: .customLong("prefix"), help: "Command prefixes (repeatable).")
    var prefixes: [String] = ["!"]

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        if environment["DISCORD_TOKEN"] != nil || environment["DISCORD_TOKEN_FILE"] != nil {
            throw ValidationError(
                "Discord mode needs DiscordKit's gateway, which is not built yet; unset DISCORD_TOKEN to use the console.")
        }
        guard (1...20).contains(self.nodes) else { throw ValidationError("--nodes must be between 1 and 20") }
        guard let strategy = PlacementStrategies.named(self.strategy) else {
            throw ValidationError("unknown strategy '\(self.strategy)'")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        try FileManager.default.createDirectory(atPath: self.data, withIntermediateDirectories: true)
        let local = try await LocalNodes.start(count: self.nodes, under: self.data)
        let cluster: Cluster
        do {
            cluster = try Cluster(
                nodes: local.configurations, strategy: strategy, replicas: self.replicas,
                catalogPath: self.data + "/catalog.sqlite")
        } catch {
            await local.stop()
            throw ValidationError("\(error)")
        }
        await cluster.refresh()
        let console = ConsoleBot(cluster: cluster, parser: PrefixCommandParser(prefixes: self.prefixes), nodes: local)
        let interactive = isatty(STDIN_FILENO) != 0
        if interactive {
            print("Seed file bot, local mode: \(self.nodes) FTP nodes under \(self.data). Type !help; Ctrl-D quits.")
        }
        for await line in StandardInput.lines() {
            let answer = await console.handle(line)
            if !answer.isEmpty { print(answer) }
        }
        await cluster.close()
        await local.stop()
    }
}
