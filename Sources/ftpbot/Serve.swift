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
import ServiceLifecycle

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
        // The bot relays share links and web uploads chunk by chunk, as ftpd serves transfers.
        AllocatorTuning.apply()
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
            for problem in problems { StandardError.error("\(problem)") }
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
        // Local nodes, node connections, web links and uploads each hold descriptors: run with the hard limit.
        OpenFilesLimit.raiseSoftLimit(logging: logger)
        // Before anything records a metric: swift-metrics binds metrics to the backend when they are created.
        var registry: PrometheusCollectorRegistry?
        if configuration.metricsAddress != nil {
            let prometheus = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
            registry = prometheus
        }
        let data = configuration.dataDirectory ?? ".data/bot"
        if !FileManager.default.fileExists(atPath: data) {
            // Private: the local nodes keep every space's files here, and the catalog their names and owners.
            // (Only the directory itself: the ones above it get the usual mode.)
            let parent = (data as NSString).deletingLastPathComponent
            if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            try FileManager.default.createDirectory(
                atPath: data, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        }
        // The catalog first: another bot on this SQLite catalog refuses it before any local node starts here.
        let store: any CatalogStore
        do {
            store = try await configuration.catalogLocation(data: data, environment: environment)
                .open(legacySpace: configuration.legacySpace(console: token == nil), logger: logger)
        } catch let error as ClusterError where error.code == .catalogInUse {
            StandardError.error("\(error.message). Is a bot already running on \(data)? Processes that share a "
                + "cluster need a PostgreSQL catalog (`catalog` in the configuration).")
            throw ExitCode(1)
        } catch {
            StandardError.error("\(error)")
            throw ExitCode(1)
        }
        let (cluster, local): (Cluster, LocalNodes?)
        do {
            (cluster, local) = try await ClusterWiring.open(
                configuration, catalog: store, data: data, environment: environment, logger: logger)
        } catch {
            StandardError.error("\(error)")
            throw ExitCode(1)
        }

        await cluster.refresh()  // health, and the moves of a catalog from before spaces
        /// Stops what was started so far and exits with `message` when the bot cannot start.
        func abandon(_ message: String) async -> ExitCode {
            await cluster.close()
            await store.close()
            await local?.stop()
            StandardError.error("\(message)")
            return ExitCode(1)
        }
        let bot = FileBot(cluster: cluster, settings: configuration.fileBotSettings, logger: logger)
        let web: WebWiring?
        do {
            web = try WebWiring.make(configuration: configuration, bot: bot, data: data, environment: environment, logger: logger)
        } catch {
            throw await abandon("\(error)")
        }
        // One service group for the process's lifetime, shut down in reverse order on SIGTERM/SIGINT (or when the
        // console's input ends): the front end first (no new commands; running ones finish), then the web front
        // end, the gauges and the metrics endpoint, and the local nodes last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = (local?.servers ?? []).map {
            // A node that stops is a dead node to the cluster, not the end of the bot.
            .init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore)
        }
        if let registry, let (host, port) = configuration.metricsAddress.flatMap(BotConfiguration.hostPort) {
            do {
                let endpoint = try await MetricsEndpoint.start(host: host, port: port, render: { registry.emitToString() })
                logger.info("metrics listening", metadata: ["metrics_port": "\(endpoint.port)"])
                services.append(.init(service: endpoint))
                services.append(.init(service: ClosureService {
                    await cancelWhenGracefulShutdown { await NodeGauges.run(cluster: cluster) }
                }))
            } catch {
                throw await abandon("metrics: \(ListenFailure.describe(error, address: configuration.metricsAddress ?? ""))")
            }
        }
        let prefixes = configuration.prefixes ?? ["!"]
        do {
            if let token {
                let settings = DiscordFrontEnd.Settings(
                    allowedChannels: Set((configuration.allowedChannels ?? []).map { Snowflake($0) }),
                    scratchDirectory: data + "/scratch")
                try await DiscordMode.run(
                    token: token, configuration: configuration, bot: bot, web: web, prefixes: prefixes,
                    settings: settings, services: services, logger: logger)
            } else {
                try await self.console(
                    bot: bot, web: web, prefixes: prefixes, data: data, local: local, services: services, logger: logger)
            }
        } catch {
            await cluster.close()
            await store.close()
            await local?.stop()
            if let error = error as? StartupError {
                StandardError.error("\(error)")
                throw ExitCode(1)
            }
            throw error
        }
        await cluster.close()
        await store.close()
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
        } catch let error as ClusterError where error.code == .catalogInUse {
            // A running bot holds it: the configuration is fine, the catalog is simply not read now.
            return "\(try configuration.catalogLocation(data: configuration.dataDirectory ?? ".data/bot", environment: environment)) "
                + "(in use by a running process, not read)"
        } catch {
            StandardError.error("catalog: \(error)")
            throw ExitCode(1)
        }
    }

    private func console(
        bot: FileBot, web: WebWiring?, prefixes: [String], data: String, local: LocalNodes?,
        services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger
    ) async throws {
        let webService = web.map { wiring in
            WebService(wiring: wiring, logger: logger) { notice in
                let row = notice.stored.row
                FileHandle.standardOutput.write(Data(
                    "Web upload: \(row.name) (\(Format.bytes(row.size))) stored on \(row.nodes.joined(separator: ", ")).\n".utf8))
            }
        }
        let console = ConsoleService(
            console: ConsoleFrontEnd(bot: bot, links: web?.links, prefixes: prefixes), web: webService,
            storedOn: local.map { "\($0.configurations.count) local FTP nodes under \(data)" } ?? "the configured nodes")
        // The web front end keeps the bot up if it fails later (links stop, commands go on); the console's end
        // (end of input) ends the bot.
        var all = services
        if let webService { all.append(.init(service: webService, failureTerminationBehavior: .ignore)) }
        all.append(.init(service: console, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: all, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
