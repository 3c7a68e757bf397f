import Balancer
import DiscordKit
import Dispatch
import FileBot
import Foundation
import Logging

/// Discord mode: the file commands served over the gateway until SIGTERM/SIGINT.
enum DiscordMode {
    static func run(
        token: BotToken, configuration: BotConfiguration, bot: FileBot, web: WebWiring?, prefixes: [String],
        settings: DiscordFrontEnd.Settings, logger: Logger
    ) async throws {
        let rest = DiscordRESTClient(
            configuration: DiscordConfiguration(
                token: token, apiBaseURL: configuration.apiBaseURL ?? "https://discord.com/api/v10"),
            logger: logger)
        do {
            try await self.serve(
                rest: rest, token: token, configuration: configuration, bot: bot, web: web, prefixes: prefixes,
                settings: settings, logger: logger)
        } catch {
            try? await rest.shutdown()
            throw error
        }
        try await rest.shutdown()
    }

    private static func serve(
        rest: DiscordRESTClient, token: BotToken, configuration: BotConfiguration, bot: FileBot, web: WebWiring?,
        prefixes: [String], settings: DiscordFrontEnd.Settings, logger: Logger
    ) async throws {
        let application: Application
        do {
            application = try await rest.currentApplication()
        } catch let error as DiscordRESTError where error.status == 401 {
            throw StartupError("Discord rejected the bot token (401): check DISCORD_TOKEN or DISCORD_TOKEN_FILE")
        }
        let router = CommandRouter(
            rest: rest, prefixes: prefixes, logger: logger, describeError: DiscordFrontEnd.describe)
        let frontEnd = DiscordFrontEnd(bot: bot, links: web?.links, rest: rest, settings: settings)
        await frontEnd.register(on: router)
        let server = try await web?.start(logger: logger) { await frontEnd.announce($0) }
        defer { server?.cancel() }
        if let web {
            logger.info("web links", metadata: ["url": "\(web.publicURL)"])
            if !web.publicURLConfigured {
                logger.warning("links point at \(web.publicURL), reachable from this machine only; set http.publicURL")
            }
        }
        let commands = await router.applicationCommands
        if let guild = configuration.guildID {
            try await rest.overwriteGuildCommands(applicationID: application.id, guild: Snowflake(guild), commands)
        } else {
            try await rest.overwriteGlobalCommands(applicationID: application.id, commands)
        }
        logger.info("slash commands registered", metadata: ["count": "\(commands.count)"])

        // Shards as Discord recommends for the bot's size, in this one process.
        let gateway = ShardedGateway(
            configuration: GatewayConfiguration(token: token, gatewayURL: configuration.gatewayURL), rest: rest,
            logger: logger)
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT]) {
            logger.notice("stopping: no new commands; running transfers get 60 s to finish")
            Task { await gateway.stop() }
        }
        defer { signals.cancel() }
        let maintenance = Task { await bot.cluster.run(every: .seconds(30)) }
        defer { maintenance.cancel() }
        let events = AsyncStream<GatewayEvent> { continuation in
            let forward = Task {
                for await shardEvent in gateway.events { continuation.yield(shardEvent.event) }
                continuation.finish()
            }
            continuation.onTermination = { _ in forward.cancel() }
        }
        let serving = Task { await router.run(events, drainTimeout: .seconds(60)) }
        do {
            try await gateway.run()
        } catch {
            await serving.value
            throw StartupError("\(error)")
        }
        await serving.value
    }
}

/// A startup failure with the sentence to show.
struct StartupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `handler` on the given signals (which are then no longer fatal) until cancelled.
final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32], handler: @escaping @Sendable () -> Void) {
        self.sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    func cancel() { for s in self.sources { s.cancel() } }
}
