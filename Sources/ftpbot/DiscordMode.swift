import Balancer
import DiscordKit
import FileBot
import Foundation
import Logging
import ServiceLifecycle

/// Discord mode: the file commands served over the gateway until SIGTERM/SIGINT.
enum DiscordMode {
    static func run(
        token: BotToken, configuration: BotConfiguration, bot: FileBot, web: WebWiring?, prefixes: [String],
        settings: DiscordFrontEnd.Settings, services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger
    ) async throws {
        var discord = DiscordConfiguration(
            token: token, apiBaseURL: configuration.apiBaseURL ?? "https://discord.com/api/v10")
        if let seconds = configuration.discordStallTimeout { discord.stallTimeout = .milliseconds(Int64(seconds * 1000)) }
        let rest = DiscordRESTClient(configuration: discord, logger: logger)
        do {
            try await self.serve(
                rest: rest, token: token, configuration: configuration, bot: bot, web: web, prefixes: prefixes,
                settings: settings, services: services, logger: logger)
        } catch {
            try? await rest.shutdown()
            throw error
        }
        try await rest.shutdown()
    }

    private static func serve(
        rest: DiscordRESTClient, token: BotToken, configuration: BotConfiguration, bot: FileBot, web: WebWiring?,
        prefixes: [String], settings: DiscordFrontEnd.Settings, services: [ServiceGroupConfiguration.ServiceConfiguration],
        logger: Logger
    ) async throws {
        let application: Application
        do {
            application = try await rest.currentApplication()
        } catch let error as DiscordRESTError where error.status == 401 {
            throw StartupError("Discord rejected the bot token (401): check DISCORD_TOKEN or DISCORD_TOKEN_FILE")
        }
        // Processes sharing a catalog claim each command there: two that run the same shard answer it once.
        let duplicates = DuplicateEvents(logger: logger)
        let router = CommandRouter(
            rest: rest, prefixes: prefixes, logger: logger, describeError: DiscordFrontEnd.describe,
            admit: { [cluster = bot.cluster] event in
                if await cluster.claimEvent("discord:\(event.rawValue)") { return true }
                duplicates.seen(event)
                return false
            })
        let frontEnd = DiscordFrontEnd(bot: bot, links: web?.links, rest: rest, settings: settings)
        await frontEnd.register(on: router)
        let webService = web.map { WebService(wiring: $0, logger: logger) { await frontEnd.announce($0) } }
        let commands = await router.applicationCommands
        if let guild = configuration.guildID {
            try await rest.overwriteGuildCommands(applicationID: application.id, guild: Snowflake(guild), commands)
        } else {
            try await rest.overwriteGlobalCommands(applicationID: application.id, commands)
        }
        logger.info("slash commands registered", metadata: ["count": "\(commands.count)"])

        // Shards as Discord recommends for the bot's size, in this one process, or the part `shards` names when
        // several processes share the bot (and its catalog).
        let selection = try configuration.shards.map { try ShardSelection(parsing: $0) }
        if let selection { logger.info("running part of the bot's shards", metadata: ["shards": "\(selection)"]) }
        let gateway = ShardedGateway(
            configuration: GatewayConfiguration(token: token, gatewayURL: configuration.gatewayURL), rest: rest,
            selection: selection, logger: logger)
        // SIGTERM/SIGINT: a graceful shutdown, the Discord service first (no new commands, running ones drain),
        // then the cluster's maintenance.
        let maintenance = ClosureService {
            await cancelWhenGracefulShutdown {
                await bot.cluster.run(
                    every: .milliseconds(Int((configuration.maintenanceInterval ?? 30) * 1000)),
                    spacesPerRound: configuration.maintenanceSpacesPerRound ?? 64)
            }
        }
        let discord = DiscordService(
            gateway: gateway, router: router, drainTimeout: .seconds(60), web: webService,
            publicURLConfigured: web?.configuredPublicURL != nil, logger: logger)
        // Started in this order and shut down in reverse: Discord first (no new commands; running ones drain), then
        // the web front end, the cluster's maintenance and the shared services (local nodes last).
        var all = services
        all.append(.init(service: maintenance))
        if let webService { all.append(.init(service: webService, failureTerminationBehavior: .ignore)) }
        all.append(.init(service: discord))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: all, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// A startup failure with the sentence to show.
struct StartupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
