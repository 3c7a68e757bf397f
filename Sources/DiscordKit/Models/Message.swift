/// A file attached to a received message; `url` points at Discord's CDN.
public struct Attachment: Codable, Sendable, Hashable {
    /// The attachment's id.
    public var id: Snowflake
    /// Its name as Discord shows it.
    public var filename: String
    /// Its size in bytes, as Discord reports it.
    public var size: Int
    /// Where the CDN serves it (a signed URL that expires).
    public var url: String
    /// Its MIME type, when Discord gives one.
    public var contentType: String?

    /// An attachment; see each property.
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
    /// The message's id.
    public var id: Snowflake
    /// Its channel.
    public var channelID: Snowflake
    /// Its guild, or `nil` in direct messages.
    public var guildID: Snowflake?
    /// Who sent it.
    public var author: User
    /// The author's membership of the guild (roles), in guild messages from the gateway.
    public var member: GuildMember?
    /// Its text (empty without the Message Content intent, unless it mentions the bot).
    public var content: String
    /// Its files.
    public var attachments: [Attachment]
    /// Its embeds.
    public var embeds: [Embed]
    /// Its buttons.
    public var components: [MessageComponent]

    /// A message; see each property.
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
    /// A name and value shown in an embed.
    public struct Field: Codable, Sendable, Hashable {
        /// The field's name (at most 256 characters).
        public var name: String
        /// Its value (at most 1,024 characters).
        public var value: String
        /// Whether it may sit beside other inline fields.
        public var inline: Bool?

        /// A field; see each property.
        public init(name: String, value: String, inline: Bool? = nil) {
            self.name = name
            self.value = value
            self.inline = inline
        }
    }

    /// The small text under an embed.
    public struct Footer: Codable, Sendable, Hashable {
        /// The text (at most 2,048 characters).
        public var text: String
        /// A footer of this text.
        public init(text: String) { self.text = text }
    }

    /// The title (at most 256 characters).
    public var title: String?
    public var description: String?
    /// The colour of the stripe, as `0xRRGGBB`.
    public var color: Int?
    /// Its fields (at most 25).
    public var fields: [Field]?
    /// Its footer.
    public var footer: Footer?

    /// An embed; see each property.
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
    /// The component's type.
    public struct Kind: DiscordIntEnum {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// A row holding up to five buttons.
        public static let actionRow = Kind(rawValue: 1)
        /// A button.
        public static let button = Kind(rawValue: 2)
    }

    /// A button's colour.
    public struct ButtonStyle: DiscordIntEnum {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Blurple.
        public static let primary = ButtonStyle(rawValue: 1)
        /// Grey.
        public static let secondary = ButtonStyle(rawValue: 2)
        /// Green.
        public static let success = ButtonStyle(rawValue: 3)
        /// Red.
        public static let danger = ButtonStyle(rawValue: 4)
    }

    /// Row or button.
    public var type: Kind
    /// A row's buttons.
    public var components: [MessageComponent]?
    /// A button's colour.
    public var style: ButtonStyle?
    /// A button's text (at most 80 characters).
    public var label: String?
    /// A button's id, sent back when it is pressed (at most 100 characters).
    public var customID: String?
    /// Whether a button is greyed out.
    public var disabled: Bool?

    /// A component; see each property (or use ``row(_:)`` and ``button(_:id:style:)``).
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

    /// A row of these buttons.
    public static func row(_ components: [MessageComponent]) -> MessageComponent {
        MessageComponent(type: .actionRow, components: components)
    }

    /// A button labelled `label` whose presses come back with `id`.
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
    /// Mention kinds that may ping (`users`, `roles`, `everyone`); empty: none.
    public var parse: [String]
    /// Users who may be pinged even though `parse` does not name "users".
    public var users: [Snowflake]?
    /// Whether replying pings the author of the message replied to.
    public var repliedUser: Bool?

    /// A rule; the default lets nothing ping.
    public init(parse: [String] = [], users: [Snowflake]? = nil, repliedUser: Bool? = nil) {
        self.parse = parse
        self.users = users
        self.repliedUser = repliedUser
    }

    /// Nothing pings.
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
        /// The index of the file in the request (`files[id]`).
        public var id: Int
        /// The name Discord should give it.
        public var filename: String
        /// A reference to file `id` of the request.
        public init(id: Int, filename: String) {
            self.id = id
            self.filename = filename
        }
    }

    /// The message this one replies to.
    public struct Reference: Codable, Sendable, Hashable {
        /// Its id.
        public var messageID: Snowflake
        /// Whether the send fails when it is gone (`false`: sent as a plain message).
        public var failIfNotExists: Bool?
        /// A reply to `messageID`.
        public init(messageID: Snowflake, failIfNotExists: Bool? = false) {
            self.messageID = messageID
            self.failIfNotExists = failIfNotExists
        }

        enum CodingKeys: String, CodingKey {
            case messageID = "message_id"
            case failIfNotExists = "fail_if_not_exists"
        }
    }

    /// The text (at most 2,000 characters).
    public var content: String?
    /// Embeds (at most 10).
    public var embeds: [Embed]?
    /// Who may be pinged (bots should send ``AllowedMentions/none``).
    public var allowedMentions: AllowedMentions?
    /// Buttons, in rows.
    public var components: [MessageComponent]?
    /// The files of the same request this message carries.
    public var attachments: [AttachmentReference]?
    /// The message replied to.
    public var messageReference: Reference?
    /// 64 = ephemeral (interaction responses only).
    public var flags: Int?

    /// A payload; see each property.
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

    /// The flag that shows an interaction's answer to its user only.
    public static let ephemeralFlag = 64

    enum CodingKeys: String, CodingKey {
        case content, embeds, components, attachments, flags
        case allowedMentions = "allowed_mentions"
        case messageReference = "message_reference"
    }
}
