/// A file attached to a received message; `url` points at Discord's CDN.
public struct Attachment: Codable, Sendable, Hashable {
    public var id: Snowflake
    public var filename: String
    public var size: Int
    public var url: String
    public var contentType: String?

    public init(id: Snowflake, filename: String, size: Int, url: String, contentType: String? = nil) {
        self.id = id
        self.filename = filename
        self.size = size
        self.url = url
        self.contentType = contentType
    }

    enum CodingKeys: String, CodingKey {
        case id, filename, size, url
        case contentType = "content_type"
    }
}

/// A message as received (MESSAGE_CREATE, REST answers).
public struct Message: Codable, Sendable, Hashable {
    public var id: Snowflake
    public var channelID: Snowflake
    public var guildID: Snowflake?
    public var author: User
    public var member: GuildMember?
    public var content: String
    public var attachments: [Attachment]
    public var embeds: [Embed]
    public var components: [MessageComponent]

    public init(
        id: Snowflake, channelID: Snowflake, guildID: Snowflake? = nil, author: User, member: GuildMember? = nil,
        content: String, attachments: [Attachment] = [], embeds: [Embed] = [], components: [MessageComponent] = []
    ) {
        self.id = id
        self.channelID = channelID
        self.guildID = guildID
        self.author = author
        self.member = member
        self.content = content
        self.attachments = attachments
        self.embeds = embeds
        self.components = components
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try c.decode(Snowflake.self, forKey: .id)
        self.channelID = try c.decode(Snowflake.self, forKey: .channelID)
        self.guildID = try c.decodeIfPresent(Snowflake.self, forKey: .guildID)
        self.author = try c.decode(User.self, forKey: .author)
        self.member = try c.decodeIfPresent(GuildMember.self, forKey: .member)
        self.content = try c.decodeIfPresent(String.self, forKey: .content) ?? ""
        self.attachments = try c.decodeIfPresent([Attachment].self, forKey: .attachments) ?? []
        self.embeds = try c.decodeIfPresent([Embed].self, forKey: .embeds) ?? []
        self.components = try c.decodeIfPresent([MessageComponent].self, forKey: .components) ?? []
    }

    enum CodingKeys: String, CodingKey {
        case id, author, member, content, attachments, embeds, components
        case channelID = "channel_id"
        case guildID = "guild_id"
    }
}

/// A rich embed.
public struct Embed: Codable, Sendable, Hashable {
    public struct Field: Codable, Sendable, Hashable {
        public var name: String
        public var value: String
        public var inline: Bool?

        public init(name: String, value: String, inline: Bool? = nil) {
            self.name = name
            self.value = value
            self.inline = inline
        }
    }

    public struct Footer: Codable, Sendable, Hashable {
        public var text: String
        public init(text: String) { self.text = text }
    }

    public var title: String?
    public var description: String?
    public var color: Int?
    public var fields: [Field]?
    public var footer: Footer?

    public init(
        title: String? = nil, description: String? = nil, color: Int? = nil, fields: [Field]? = nil,
        footer: Footer? = nil
    ) {
        self.title = title
        self.description = description
        self.color = color
        self.fields = fields
        self.footer = footer
    }
}

/// Message components: action rows holding buttons (the only kinds this SDK builds).
public struct MessageComponent: Codable, Sendable, Hashable {
    public struct Kind: DiscordIntEnum {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let actionRow = Kind(rawValue: 1)
        public static let button = Kind(rawValue: 2)
    }

    public struct ButtonStyle: DiscordIntEnum {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let primary = ButtonStyle(rawValue: 1)
        public static let secondary = ButtonStyle(rawValue: 2)
        public static let success = ButtonStyle(rawValue: 3)
        public static let danger = ButtonStyle(rawValue: 4)
    }

    public var type: Kind
    public var components: [MessageComponent]?
    public var style: ButtonStyle?
    public var label: String?
    public var customID: String?
    public var disabled: Bool?

    public init(
        type: Kind, components: [MessageComponent]? = nil, style: ButtonStyle? = nil, label: String? = nil,
        customID: String? = nil, disabled: Bool? = nil
    ) {
        self.type = type
        self.components = components
        self.style = style
        self.label = label
        self.customID = customID
        self.disabled = disabled
    }

    public static func row(_ components: [MessageComponent]) -> MessageComponent {
        MessageComponent(type: .actionRow, components: components)
    }

    public static func button(_ label: String, id: String, style: ButtonStyle = .secondary) -> MessageComponent {
        MessageComponent(type: .button, style: style, label: label, customID: id)
    }

    enum CodingKeys: String, CodingKey {
        case type, components, style, label, disabled
        case customID = "custom_id"
    }
}

/// Which mentions in a message may ping. Bots should default to none: user-supplied text (file names!) must
/// not ping `@everyone`.
public struct AllowedMentions: Codable, Sendable, Hashable {
    public var parse: [String]
    /// Users who may be pinged even though `parse` does not name "users".
    public var users: [Snowflake]?
    public var repliedUser: Bool?

    public init(parse: [String] = [], users: [Snowflake]? = nil, repliedUser: Bool? = nil) {
        self.parse = parse
        self.users = users
        self.repliedUser = repliedUser
    }

    public static let none = AllowedMentions(parse: [], repliedUser: false)

    enum CodingKeys: String, CodingKey {
        case parse, users
        case repliedUser = "replied_user"
    }
}

/// The body of a message create/edit, an interaction response or a follow-up.
public struct MessagePayload: Codable, Sendable, Hashable {
    /// Refers to a file uploaded in the same multipart request (`files[id]`).
    public struct AttachmentReference: Codable, Sendable, Hashable {
        public var id: Int
        public var filename: String
        public init(id: Int, filename: String) {
            self.id = id
            self.filename = filename
        }
    }

    public struct Reference: Codable, Sendable, Hashable {
        public var messageID: Snowflake
        public var failIfNotExists: Bool?
        public init(messageID: Snowflake, failIfNotExists: Bool? = false) {
            self.messageID = messageID
            self.failIfNotExists = failIfNotExists
        }

        enum CodingKeys: String, CodingKey {
            case messageID = "message_id"
            case failIfNotExists = "fail_if_not_exists"
        }
    }

    public var content: String?
    public var embeds: [Embed]?
    public var allowedMentions: AllowedMentions?
    public var components: [MessageComponent]?
    public var attachments: [AttachmentReference]?
    public var messageReference: Reference?
    /// 64 = ephemeral (interaction responses only).
    public var flags: Int?

    public init(
        content: String? = nil, embeds: [Embed]? = nil, allowedMentions: AllowedMentions? = AllowedMentions.none,
        components: [MessageComponent]? = nil, attachments: [AttachmentReference]? = nil,
        messageReference: Reference? = nil, flags: Int? = nil
    ) {
        self.content = content
        self.embeds = embeds
        self.allowedMentions = allowedMentions
        self.components = components
        self.attachments = attachments
        self.messageReference = messageReference
        self.flags = flags
    }

    public static let ephemeralFlag = 64

    enum CodingKeys: String, CodingKey {
        case content, embeds, components, attachments, flags
        case allowedMentions = "allowed_mentions"
        case messageReference = "message_reference"
    }
}
