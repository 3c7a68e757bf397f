import ArgumentParser
import DiscordEmulator
import Foundation
import Logging
import OperationsHTTP
import ServiceLifecycle

/// `discord-emulator`: an offline Discord for testing any bot, in any language. It prints one JSON line with its
/// URLs (API base, gateway, control API) and runs until SIGINT or SIGTERM. See `Docs/discord-emulator.md`.
@main
struct DiscordEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discord-emulator",
        abstract: "An offline Discord (REST v10, gateway, CDN) with a JSON control API for tests.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "REST, CDN and control port (0: any free port).") var port = 0
    @Option(help: "Gateway port (0: any free port).") var gatewayPort = 0
    @Option(help: "The bot token clients must present.") var token = "emulator-token"
    @Option(help: "The application's (and bot user's) ID.") var applicationID = "1000"
    @Option(help: "The bot user's name.") var botName = "emulated-bot"
    @Option(help: "Gateway heartbeat interval in milliseconds.") var heartbeatMilliseconds = 41_250
    @Option(help: "Shards GET /gateway/bot recommends.") var shards = 1
    @Option(help: "session_start_limit.max_concurrency.") var maxConcurrency = 1
    @Flag(help: "Refuse the privileged Message Content intent (IDENTIFY with it gets 4014).")
    var denyMessageContent = false
    @Flag(help: "Start with no guild and no channels (create them through the control API).")
    var empty = false
    @Option(help: "Write the start-up JSON line to this file too (for scripts that start it in the background).")
    var readyFile: String?

    func validate() throws {
        guard self.shards >= 1 else { throw ValidationError("--shards must be at least 1") }
        guard self.maxConcurrency >= 1 else { throw ValidationError("--max-concurrency must be at least 1") }
        guard self.heartbeatMilliseconds >= 1 else { throw ValidationError("--heartbeat-milliseconds must be at least 1") }
        for (name, port) in [("--port", self.port), ("--gateway-port", self.gatewayPort)] where !(0...65535).contains(port) {
            throw ValidationError("\(name) must be a TCP port (0-65535), got \(port)")
        }
    }

    /// An address that cannot be had: one sentence, no usage text.
    struct ListenError: Error, CustomStringConvertible {
        let description: String
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var configuration = DiscordEmulator.Configuration(
            token: self.token, botUser: EmulatedUser(id: self.applicationID, username: self.botName, bot: true),
            applicationID: self.applicationID, heartbeatIntervalMilliseconds: self.heartbeatMilliseconds,
            messageContentIntentAllowed: !self.denyMessageContent, recommendedShards: self.shards,
            maxConcurrency: self.maxConcurrency)
        if self.empty {
            configuration.guilds = []
            configuration.channels = []
        }
        let emulator = DiscordEmulator(configuration: configuration)
        do {
            try await emulator.start(host: self.host, port: self.port, gatewayPort: self.gatewayPort)
        } catch {
            let ports = [self.port] + (self.gatewayPort != 0 && self.gatewayPort != self.port ? [self.gatewayPort] : [])
            let address = "\(self.host):\(ports.map(String.init).joined(separator: " or "))"
            throw ListenError(description: ListenFailure.describe(error, address: address))
        }
        let line: [String: String] = [
            "api": await emulator.apiBaseURL, "gateway": await emulator.gatewayURL,
            "resume_gateway": await emulator.resumeGatewayURL, "control": await emulator.controlURL,
            "token": self.token, "application_id": self.applicationID,
        ]
        let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]) + Data("\n".utf8)
        FileHandle.standardOutput.write(data)
        if let readyFile { try data.write(to: URL(fileURLWithPath: readyFile)) }
        // Until SIGINT or SIGTERM (a graceful shutdown of the group), or cancellation.
        let serving = ClosureService {
            try? await gracefulShutdown()
            await emulator.shutdown()
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [serving], gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "discord-emulator")))
        try await group.run()
    }
}
