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
