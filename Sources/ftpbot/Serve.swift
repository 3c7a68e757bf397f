import ArgumentParser
import Balancer
import DiscordKit
import FTPKit
import FileBot
import Foundation
import Logging
import Metrics
import Prometheus
import OperationsHTTP

/// `ftpbot` (or `ftpbot serve`): the bot itself.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Runs the bot (the default). With DISCORD_TOKEN (or DISCORD_TOKEN_FILE) it serves Discord; without, it runs locally: FTP nodes in-process and a console.")

    @Option(help: "A JSON configuration file (also $FTPBOT_CONFIG): nodes, strategy, replicas, roles, channels, limits.")
    var config: String?

    @Flag(help: "Check the configuration and the token's presence, report every problem, and exit.")
    var checkConfig = false

    @Option(help: "Where the local nodes keep their files and the catalog lives (default .data/bot).")
    var data: String?

    @Option(help: "Local FTP nodes to start when the configuration names none (default 3).")
    var nodes: Int?

    @Option(help: "Copies of each file (default 2 with two or more nodes).")
    var replicas: Int?

    @Option(help: "Placement strategy: \(PlacementStrategies.all.map(\.name).joined(separator: ", ")).")
    var strategy: String?

    @Option(name: .customLong("prefix"), help: "Command prefixes (repeatable; default !).")
    var prefixes: [String] = []

    @Option(help: "HOST:PORT for the web links and upload page (default 127.0.0.1:8080, or the next free port).")
    var httpAddress: String?

    @Option(help: "The gateway shards this process runs, IDS/COUNT (0-1/4; also $FTPBOT_SHARDS). Default: all of them.")
    var shards: String?

    @Option(help: "Where the catalog lives (also $FTPBOT_CATALOG): sqlite:PATH (default DATA/catalog.sqlite) or postgres://USER@HOST:PORT/DB.")
    var catalog: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        // Command-line options win over the file.
        var (configuration, problems) = BotConfiguration.resolve(file: self.config, environment: environment) { c in
            if let v = self.data { c.dataDirectory = v }
            if let v = self.nodes { c.localNodes = v }
            if let v = self.replicas { c.replicas = v }
            if let v = self.strategy { c.strategy = v }
            if !self.prefixes.isEmpty { c.prefixes = self.prefixes }
            if let v = self.catalog { c.catalog = BotConfiguration.Catalog(url: v) }
            if let v = self.shards { c.shards = v }
            if let v = self.httpAddress {
                c.http = c.http ?? BotConfiguration.HTTP()
                c.http?.address = v
            }
        }
        var token: BotToken?
        do {
            token = try BotToken.fromEnvironment(environment)
        } catch {
            problems.append(.init(location: "DISCORD_TOKEN", message: "\(error)"))
        }
        if self.checkConfig || !problems.isEmpty {
            for problem in problems { FileHandle.standardError.write(Data("error: \(problem)\n".utf8)) }
            guard problems.isEmpty else { throw ExitCode(1) }
            let nodes = configuration.nodes.map { "\($0.count) configured nodes" }
                ?? "\(configuration.localNodes ?? 3) local nodes"
            // The catalog is reached, not only parsed: a wrong address or password shows now, not at start.
            let catalog = try await Self.checkCatalog(configuration, environment: environment)
            print("Configuration OK: \(nodes), strategy \(configuration.strategy ?? "least-used"), catalog \(catalog), "
                + (token == nil ? "console mode (no Discord token)." : "Discord mode (token set)."))
            return
        }

        // The console's answers go to standard output; notices (a catalog migration, a node failing) to standard error.
        let level: Logger.Level = token == nil ? .notice : .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ftpbot")
        // Before anything records a metric: swift-metrics binds metrics to the backend when they are created.
        var registry: PrometheusCollectorRegistry?
        if configuration.metricsAddress != nil {
            let prometheus = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
            registry = prometheus
        }
        let strategy = PlacementStrategies.named(configuration.strategy ?? "least-used") ?? LeastUsedBytes()
        let data = configuration.dataDirectory ?? ".data/bot"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        var local: LocalNodes?
        let nodeConfigurations: [NodeConfiguration]
        if configuration.nodes != nil {
            nodeConfigurations = try configuration.nodeConfigurations(environment: environment)
        } else {
            let started = try await LocalNodes.start(count: configuration.localNodes ?? 3, under: data)
            local = started
            nodeConfigurations = started.configurations
        }
        let cluster: Cluster
        let store: any CatalogStore
        do {
            store = try await configuration.catalogLocation(data: data, environment: environment)
                .open(legacySpace: configuration.legacySpace(console: token == nil), logger: logger)
            do {
                cluster = try await Cluster(
                    nodes: nodeConfigurations, strategy: strategy, replicas: configuration.replicas, catalog: store,
                    logger: logger)
            } catch {
                await store.close()
                throw error
            }
        } catch {
            await local?.stop()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }

        await cluster.refresh()  // health, and the moves of a catalog from before spaces
        let bot = FileBot(cluster: cluster, settings: configuration.fileBotSettings, logger: logger)
        let web: WebWiring?
        do {
            web = try WebWiring.make(configuration: configuration, bot: bot, data: data, environment: environment, logger: logger)
        } catch {
            await cluster.close()
            await store.close()
            await local?.stop()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        var endpoint: MetricsEndpoint?
        var gauges: Task<Void, Never>?
        if let registry, let (host, port) = configuration.metricsAddress.flatMap(BotConfiguration.hostPort) {
            endpoint = try await MetricsEndpoint.start(host: host, port: port, render: { registry.emitToString() })
            logger.info("metrics listening", metadata: ["metrics_port": "\(endpoint?.port ?? 0)"])
            gauges = Task { await NodeGauges.run(cluster: cluster) }
        }
        defer {
            gauges?.cancel()
            if let endpoint { Task { await endpoint.stop() } }
        }
        let prefixes = configuration.prefixes ?? ["!"]
        do {
            if let token {
                let settings = DiscordFrontEnd.Settings(
                    allowedChannels: Set((configuration.allowedChannels ?? []).map { Snowflake($0) }),
                    scratchDirectory: data + "/scratch")
                try await DiscordMode.run(
                    token: token, configuration: configuration, bot: bot, web: web, prefixes: prefixes,
                    settings: settings, logger: logger)
            } else {
                try await self.console(bot: bot, web: web, prefixes: prefixes, data: data, local: local, logger: logger)
            }
        } catch {
            await cluster.close()
            await store.close()
            await local?.stop()
            if let error = error as? StartupError {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
            throw error
        }
        await cluster.close()
        await store.close()
        await local?.stop()
    }

    /// Opens the configured catalog and reports what it holds; a failure is the configuration's problem.
    static func checkCatalog(_ configuration: BotConfiguration, environment: [String: String]) async throws -> String {
        var quiet = Logger(label: "ftpbot.check")
        quiet.logLevel = .critical
        do {
            let location = try configuration.catalogLocation(data: configuration.dataDirectory ?? ".data/bot", environment: environment)
            if case .sqlite = location, configuration.catalog == nil { return "\(location) (default)" }
            let store = try await location.open(logger: quiet)
            let counts = try await store.load().counts
            await store.close()
            return "\(location) (\(counts.files) files)"
        } catch {
            FileHandle.standardError.write(Data("error: catalog: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    private func console(
        bot: FileBot, web: WebWiring?, prefixes: [String], data: String, local: LocalNodes?, logger: Logger
    ) async throws {
        let console = ConsoleFrontEnd(bot: bot, links: web?.links, prefixes: prefixes)
        let server = try await web?.start(logger: logger) { notice in
            let row = notice.stored.row
            FileHandle.standardOutput.write(Data("Web upload: \(row.name) (\(Format.bytes(row.size))) stored on \(row.nodes.joined(separator: ", ")).\n".utf8))
        }
        defer { server?.task.cancel() }
        // Where the links point, on standard error: standard output carries only the commands' answers.
        if let server { FileHandle.standardError.write(Data("Web links and upload pages: \(server.publicURL)/\n".utf8)) }
        if isatty(STDIN_FILENO) != 0 {
            let where_ = local.map { "\($0.configurations.count) local FTP nodes under \(data)" } ?? "the configured nodes"
            print("Seed file bot, console mode: \(where_). Type !help; Ctrl-D quits.")
        }
        for await line in StandardInput.lines() {
            let answer = await console.handle(line)
            // Written at once: a pipe's reader (a script waiting for a link) must not wait for the buffer to fill.
            if !answer.isEmpty { FileHandle.standardOutput.write(Data((answer + "\n").utf8)) }
        }
        server?.task.cancel()
        await server?.task.value
    }
}
