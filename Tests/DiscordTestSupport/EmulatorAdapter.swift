public import DiscordEmulator
public import DiscordKit
public import Foundation

/// Tests act on the emulator with DiscordKit's types and read what it stores through DiscordKit's decoders, as a
/// bot would read the same JSON from Discord. The emulator itself knows nothing of DiscordKit.
extension DiscordEmulator {
    public static func decode<T: Decodable>(_ json: EmulatorJSON, as type: T.Type = T.self) -> T? {
        try? JSONDecoder().decode(T.self, from: json.serialized())
    }

    public func messages(in channel: Snowflake) -> [Message] {
        self.channelMessages(channel.rawValue).compactMap { Self.decode($0.json) }
    }

    public func message(_ id: Snowflake) -> Message? {
        self.storedMessage(id.rawValue).flatMap { Self.decode($0.json) }
    }

    /// Ephemeral messages `user` saw.
    public func ephemeral(for user: User) -> [Message] {
        self.ephemeralMessages(for: user.id.rawValue).compactMap { Self.decode($0.json) }
    }

    @discardableResult
    public func postMessage(
        channel: Snowflake, author: User, roles: [Snowflake]? = nil, content: String,
        files: [(filename: String, data: Data)] = [], claimedSizes: [String: Int] = [:]
    ) throws -> Message {
        let posted = try self.postMessage(
            channel: channel.rawValue, author: author.emulated, roles: roles?.map(\.rawValue), content: content,
            files: files.map { UserFile(filename: $0.filename, data: $0.data, claimedSize: claimedSizes[$0.filename]) })
        guard let message: Message = Self.decode(posted.json) else { throw EmulatorError.invalid("undecodable message") }
        return message
    }

    @discardableResult
    public func invokeCommand(
        _ name: String, options: [String: JSONValue] = [:], files: [String: (filename: String, data: Data)] = [:],
        user: User, roles: [Snowflake]? = nil, channel: Snowflake
    ) throws -> Interaction {
        let interaction = try self.invokeCommand(
            name, options: options.mapValues(\.emulated),
            files: files.mapValues { UserFile(filename: $0.filename, data: $0.data) }, user: user.emulated,
            roles: roles?.map(\.rawValue), channel: channel.rawValue)
        return try Self.kit(interaction)
    }

    @discardableResult
    public func requestAutocomplete(
        _ name: String, option: String, typed: String, user: User, channel: Snowflake
    ) throws -> Interaction {
        try Self.kit(self.requestAutocomplete(name, option: option, typed: typed, user: user.emulated,
                                              channel: channel.rawValue))
    }

    @discardableResult
    public func pressButton(message: Snowflake, customID: String, user: User, roles: [Snowflake]? = nil) throws -> Interaction {
        try Self.kit(self.pressButton(message: message.rawValue, customID: customID, user: user.emulated,
                                      roles: roles?.map(\.rawValue)))
    }

    private static func kit(_ interaction: EmulatedInteraction) throws -> Interaction {
        guard let decoded: Interaction = Self.decode(interaction.json) else {
            throw EmulatorError.invalid("undecodable interaction")
        }
        return decoded
    }

    public func response(to interaction: Interaction) -> InteractionResponse? {
        self.interaction(interaction.token)?.response.flatMap { Self.decode($0) }
    }

    public func originalMessage(of interaction: Interaction) -> Message? {
        self.originalMessage(ofInteraction: interaction.token).flatMap { Self.decode($0.json) }
    }

    public func followups(of interaction: Interaction) -> [Message] {
        self.followups(ofInteraction: interaction.token).compactMap { Self.decode($0.json) }
    }

    public func expire(_ interaction: Interaction) { self.expire(interaction: interaction.token) }

    /// Every guild's registered commands.
    public var guildCommands: [Snowflake: [ApplicationCommand]] {
        var all: [Snowflake: [ApplicationCommand]] = [:]
        for guild in self.configuration.guilds {
            let commands = self.registeredCommands(guild: guild.id).compactMap { Self.decode($0, as: ApplicationCommand.self) }
            if !commands.isEmpty { all[Snowflake(guild.id)] = commands }
        }
        return all
    }
}

extension User {
    public var emulated: EmulatedUser { EmulatedUser(id: self.id.rawValue, username: self.username, bot: self.bot ?? false) }
}

extension JSONValue {
    public var emulated: EmulatorJSON {
        switch self {
        case .string(let s): .string(s)
        case .integer(let i): .int(i)
        case .number(let d): .double(d)
        case .bool(let b): .bool(b)
        }
    }
}
