/// A guild, with the boost tier that sets its upload limit.
public struct Guild: Codable, Sendable, Hashable {
    /// The guild's id.
    public var id: Snowflake
    /// Its name.
    public var name: String
    /// Its boost tier (0–3), which sets its upload limit.
    public var premiumTier: Int?

    /// A guild; see each property.
    public init(id: Snowflake, name: String, premiumTier: Int? = nil) {
        self.id = id
        self.name = name
        self.premiumTier = premiumTier
    }

    /// The largest attachment members may upload: 10 MiB by default, 50 MiB at boost tier 2, 100 MiB at tier 3.
    public var attachmentSizeLimit: Int {
        switch self.premiumTier ?? 0 {
        case 3...: 100 << 20
        case 2: 50 << 20
        default: 10 << 20
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, name
        case premiumTier = "premium_tier"
    }
}
