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
