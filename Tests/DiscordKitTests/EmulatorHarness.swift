import DiscordEmulator
import DiscordTestSupport
import DiscordKit
import Foundation

/// Starts an emulator and a REST client pointed at it; tears both down.
func withEmulator<T>(
    _ configuration: DiscordEmulator.Configuration = .init(),
    restConfiguration: (inout DiscordConfiguration) -> Void = { _ in },
    _ body: (DiscordEmulator, DiscordRESTClient) async throws -> T
) async throws -> T {
    var configuration = configuration
    if configuration.interactionDeadline == DiscordRules.initialResponseWindow {
        // Tests about the 3-second window age interactions with `expire`; for the others a loaded CI machine taking
        // 3 s between an invocation and its answer is no failure of the client.
        configuration.interactionDeadline = .seconds(30)
    }
    let emulator = DiscordEmulator(configuration: configuration)
    try await emulator.start()
    var config = DiscordConfiguration(
        token: BotToken(configuration.token), apiBaseURL: await emulator.apiBaseURL,
        serverErrorBackoff: .milliseconds(50))
    restConfiguration(&config)
    let rest = DiscordRESTClient(configuration: config)
    do {
        let result = try await body(emulator, rest)
        try await rest.shutdown()
        await emulator.shutdown()
        return result
    } catch {
        try? await rest.shutdown()
        await emulator.shutdown()
        throw error
    }
}

let ana = User(id: "501", username: "ana")
let bruno = User(id: "502", username: "bruno")
let filesChannel: Snowflake = "3000"
