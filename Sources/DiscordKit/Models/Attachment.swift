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
