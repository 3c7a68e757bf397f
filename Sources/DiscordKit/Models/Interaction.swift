/// An interaction: a slash command, an autocomplete request or a button press.
public struct Interaction: Codable, Sendable, Hashable {
    public struct Kind: DiscordIntEnum {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let ping = Kind(rawValue: 1)
        public static let applicationCommand = Kind(rawValue: 2)
        public static let messageComponent = Kind(rawValue: 3)
        public static let autocomplete = Kind(rawValue: 4)
        public static let modalSubmit = Kind(rawValue: 5)
    }

    public struct Option: Codable, Sendable, Hashable {
        public var name: String
        public var type: ApplicationCommand.OptionType
        public var value: JSONValue?
        public var options: [Option]?
        public var focused: Bool?

        public init(
            name: String, type: ApplicationCommand.OptionType, value: JSONValue? = nil, options: [Option]? = nil,
            focused: Bool? = nil
        ) {
            self.name = name
            self.type = type
            self.value = value
            self.options = options
            self.focused = focused
        }
    }

    public struct Resolved: Codable, Sendable, Hashable {
        public var attachments: [String: Attachment]?
        public init(attachments: [String: Attachment]? = nil) { self.attachments = attachments }
    }

    public struct Data: Codable, Sendable, Hashable {
        public var id: Snowflake?
        public var name: String?
        public var options: [Option]?
        public var resolved: Resolved?
        public var customID: String?
        public var componentType: Int?

        public init(
            id: Snowflake? = nil, name: String? = nil, options: [Option]? = nil, resolved: Resolved? = nil,
            customID: String? = nil, componentType: Int? = nil
        ) {
            self.id = id
            self.name = name
            self.options = options
            self.resolved = resolved
            self.customID = customID
            self.componentType = componentType
        }

        enum CodingKeys: String, CodingKey {
            case id, name, options, resolved
            case customID = "custom_id"
            case componentType = "component_type"
        }
    }

    public var id: Snowflake
    public var applicationID: Snowflake
    public var type: Kind
    public var data: Data?
    public var guildID: Snowflake?
    public var channelID: Snowflake?
    /// Set in guilds; `user` is set in DMs.
    public var member: GuildMember?
    public var user: User?
    public var token: String
    /// The largest attachment the bot may send in this channel, in bytes.
    public var attachmentSizeLimit: Int?
    /// The message a component was attached to.
    public var message: Message?

    public init(
        id: Snowflake, applicationID: Snowflake, type: Kind, data: Data? = nil, guildID: Snowflake? = nil,
        channelID: Snowflake? = nil, member: GuildMember? = nil, user: User? = nil, token: String,
        attachmentSizeLimit: Int? = nil, message: Message? = nil
    ) {
        self.id = id
        self.applicationID = applicationID
        self.type = type
        self.data = data
        self.guildID = guildID
        self.channelID = channelID
        self.member = member
        self.user = user
        self.token = token
        self.attachmentSizeLimit = attachmentSizeLimit
        self.message = message
    }

    /// Who invoked it, in a guild or a DM.
    public var invoker: User? { self.member?.user ?? self.user }

    enum CodingKeys: String, CodingKey {
        case id, type, data, member, user, token, message
        case applicationID = "application_id"
        case guildID = "guild_id"
        case channelID = "channel_id"
        case attachmentSizeLimit = "attachment_size_limit"
    }
}

/// The answer to an interaction (`POST /interactions/{id}/{token}/callback`).
public struct InteractionResponse: Codable, Sendable, Hashable {
    public struct Kind: DiscordIntEnum {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let pong = Kind(rawValue: 1)
        public static let channelMessage = Kind(rawValue: 4)
        public static let deferredChannelMessage = Kind(rawValue: 5)
        public static let deferredUpdateMessage = Kind(rawValue: 6)
        public static let updateMessage = Kind(rawValue: 7)
        public static let autocompleteResult = Kind(rawValue: 8)
    }

    /// Message fields, or autocomplete `choices`.
    public struct CallbackData: Codable, Sendable, Hashable {
        public var content: String?
        public var embeds: [Embed]?
        public var allowedMentions: AllowedMentions?
        public var components: [MessageComponent]?
        public var flags: Int?
        public var choices: [ApplicationCommand.Choice]?

        public init(message: MessagePayload) {
            self.content = message.content
            self.embeds = message.embeds
            self.allowedMentions = message.allowedMentions
            self.components = message.components
            self.flags = message.flags
        }

        public init(choices: [ApplicationCommand.Choice]) { self.choices = choices }

        enum CodingKeys: String, CodingKey {
            case content, embeds, components, flags, choices
            case allowedMentions = "allowed_mentions"
        }
    }

    public var type: Kind
    public var data: CallbackData?

    public init(type: Kind, data: CallbackData? = nil) {
        self.type = type
        self.data = data
    }

    public static func message(_ payload: MessagePayload) -> InteractionResponse {
        InteractionResponse(type: .channelMessage, data: CallbackData(message: payload))
    }

    public static func deferred(ephemeral: Bool = false) -> InteractionResponse {
        InteractionResponse(
            type: .deferredChannelMessage,
            data: ephemeral ? CallbackData(message: MessagePayload(flags: MessagePayload.ephemeralFlag)) : nil
        )
    }

    public static func autocomplete(_ choices: [ApplicationCommand.Choice]) -> InteractionResponse {
        InteractionResponse(type: .autocompleteResult, data: CallbackData(choices: Array(choices.prefix(25))))
    }

    /// A button press acknowledged now, its message edited later (``DiscordRESTClient/editOriginalResponse``):
    /// work that may take longer than Discord's 3 seconds happens after this.
    public static func deferredUpdate() -> InteractionResponse {
        InteractionResponse(type: .deferredUpdateMessage)
    }

    public static func update(_ payload: MessagePayload) -> InteractionResponse {
        InteractionResponse(type: .updateMessage, data: CallbackData(message: payload))
    }
}
