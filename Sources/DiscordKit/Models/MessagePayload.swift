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
