/// One use of a command, the same whether it came as a message or a slash command.
public struct CommandInvocation: Sendable {
    /// Where the command came from.
    public enum Origin: Sendable {
        case message(Message)
        case interaction(Interaction)
    }

    /// The canonical command name (aliases resolved).
    public var command: String
    /// Option values by name; prefix arguments arrive as strings (or integers for integer options).
    public var arguments: [String: JSONValue]
    /// Files given with the command: the message's attachments, or the slash command's attachment options.
    public var attachments: [Attachment]
    /// Who ran the command.
    public var user: User
    /// Their membership of the guild (roles), when in one.
    public var member: GuildMember?
    /// The channel it was run in.
    public var channelID: Snowflake
    /// The guild, or `nil` in direct messages.
    public var guildID: Snowflake?
    /// The upload limit Discord states for this channel (slash commands), in bytes.
    public var attachmentSizeLimit: Int?
    /// A message or an interaction.
    public var origin: Origin

    /// An invocation; front ends get these from ``CommandRouter``.
    public init(
        command: String, arguments: [String: JSONValue], attachments: [Attachment], user: User,
        member: GuildMember?, channelID: Snowflake, guildID: Snowflake?, attachmentSizeLimit: Int?, origin: Origin
    ) {
        self.command = command
        self.arguments = arguments
        self.attachments = attachments
        self.user = user
        self.member = member
        self.channelID = channelID
        self.guildID = guildID
        self.attachmentSizeLimit = attachmentSizeLimit
        self.origin = origin
    }

    /// The option or argument `name`, as text.
    public func string(_ name: String) -> String? {
        guard let value = self.arguments[name] else { return nil }
        let text = value.description
        return text.isEmpty ? nil : text
    }

    /// Whether it came as a slash command (an interaction) rather than a message.
    public var isSlashCommand: Bool {
        if case .interaction = self.origin { return true }
        return false
    }
}
