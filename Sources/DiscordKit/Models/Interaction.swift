/// An interaction: a slash command, an autocomplete request or a button press.
public struct Interaction: Codable, Sendable, Hashable {
    /// What started the interaction.
    public struct Kind: DiscordIntEnum {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Discord checking the endpoint (HTTP interactions only).
        public static let ping = Kind(rawValue: 1)
        /// A slash command.
        public static let applicationCommand = Kind(rawValue: 2)
        /// A button press.
        public static let messageComponent = Kind(rawValue: 3)
        /// An option being typed, asking for suggestions.
        public static let autocomplete = Kind(rawValue: 4)
        /// A modal's form sent.
        public static let modalSubmit = Kind(rawValue: 5)
    }

    /// An option as the user filled it in.
    public struct Option: Codable, Sendable, Hashable {
        /// The option's name.
        public var name: String
        /// Its type.
        public var type: ApplicationCommand.OptionType
        /// Its value (for an attachment, the id to look up in ``Resolved/attachments``).
        public var value: JSONValue?
        /// A subcommand's own options.
        public var options: [Option]?
        /// Whether this is the option being typed (autocomplete).
        public var focused: Bool?

        /// An option; see each property.
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

    /// Objects the options refer to by id.
    public struct Resolved: Codable, Sendable, Hashable {
        /// Attachments by id.
        public var attachments: [String: Attachment]?
        /// Resolved objects.
        public init(attachments: [String: Attachment]? = nil) { self.attachments = attachments }
    }

    /// The command or component the interaction is about.
    public struct Data: Codable, Sendable, Hashable {
        /// The command's id.
        public var id: Snowflake?
        /// The command's name.
        public var name: String?
        /// The options given.
        public var options: [Option]?
        /// Objects the options refer to.
        public var resolved: Resolved?
        /// A pressed button's custom id.
        public var customID: String?
        /// The component's type (2: a button).
        public var componentType: Int?

        /// Data; see each property.
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

    /// The interaction's id (for the callback URL).
    public var id: Snowflake
    /// The application it is for.
    public var applicationID: Snowflake
    /// What started it.
    public var type: Kind
    /// The command or component.
    public var data: Data?
    /// The guild, or `nil` in direct messages.
    public var guildID: Snowflake?
    /// The channel it happened in.
    public var channelID: Snowflake?
    /// Set in guilds; `user` is set in DMs.
    public var member: GuildMember?
    /// The user, in direct messages (in a guild, ``member``'s user).
    public var user: User?
    /// The token for responses and follow-ups (valid 15 minutes).
    public var token: String
    /// The largest attachment the bot may send in this channel, in bytes.
    public var attachmentSizeLimit: Int?
    /// The message a component was attached to.
    public var message: Message?

    /// An interaction; see each property.
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
    /// The kind of answer (Discord's interaction callback type).
    public struct Kind: DiscordIntEnum {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Answers a ping.
        public static let pong = Kind(rawValue: 1)
        /// A message.
        public static let channelMessage = Kind(rawValue: 4)
        /// "Thinking…" now, the message later.
        public static let deferredChannelMessage = Kind(rawValue: 5)
        /// A button press acknowledged now, its message edited later.
        public static let deferredUpdateMessage = Kind(rawValue: 6)
        /// The button's message edited now.
        public static let updateMessage = Kind(rawValue: 7)
        /// Autocomplete suggestions.
        public static let autocompleteResult = Kind(rawValue: 8)
    }

    /// Message fields, or autocomplete `choices`.
    public struct CallbackData: Codable, Sendable, Hashable {
        /// The message's text.
        public var content: String?
        /// Its embeds.
        public var embeds: [Embed]?
        /// Who may be pinged.
        public var allowedMentions: AllowedMentions?
        /// Its buttons.
        public var components: [MessageComponent]?
        /// Message flags (64: ephemeral).
        public var flags: Int?
        /// Autocomplete suggestions.
        public var choices: [ApplicationCommand.Choice]?

        /// The data of a message answer.
        public init(message: MessagePayload) {
            self.content = message.content
            self.embeds = message.embeds
            self.allowedMentions = message.allowedMentions
            self.components = message.components
            self.flags = message.flags
        }

        /// The data of an autocomplete answer.
        public init(choices: [ApplicationCommand.Choice]) { self.choices = choices }

        enum CodingKeys: String, CodingKey {
            case content, embeds, components, flags, choices
            case allowedMentions = "allowed_mentions"
        }
    }

    /// The kind of answer.
    public var type: Kind
    /// Its content, when it has one.
    public var data: CallbackData?

    /// An answer of this kind.
    public init(type: Kind, data: CallbackData? = nil) {
        self.type = type
        self.data = data
    }

    /// Answers with a message now.
    public static func message(_ payload: MessagePayload) -> InteractionResponse {
        InteractionResponse(type: .channelMessage, data: CallbackData(message: payload))
    }

    /// "Thinking…" now (only the user sees it when `ephemeral`); the message follows as an edit of the original.
    public static func deferred(ephemeral: Bool = false) -> InteractionResponse {
        InteractionResponse(
            type: .deferredChannelMessage,
            data: ephemeral ? CallbackData(message: MessagePayload(flags: MessagePayload.ephemeralFlag)) : nil
        )
    }

    /// Suggestions for the option being typed (the first 25).
    public static func autocomplete(_ choices: [ApplicationCommand.Choice]) -> InteractionResponse {
        InteractionResponse(type: .autocompleteResult, data: CallbackData(choices: Array(choices.prefix(25))))
    }

    /// A button press acknowledged now, its message edited later (``DiscordRESTClient/editOriginalResponse``):
    /// work that may take longer than Discord's 3 seconds happens after this.
    public static func deferredUpdate() -> InteractionResponse {
        InteractionResponse(type: .deferredUpdateMessage)
    }

    /// Replaces the pressed button's message now.
    public static func update(_ payload: MessagePayload) -> InteractionResponse {
        InteractionResponse(type: .updateMessage, data: CallbackData(message: payload))
    }
}
