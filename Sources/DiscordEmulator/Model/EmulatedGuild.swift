/// A guild (server): its boost tier decides the upload limit, its roles can be given to members.
public struct EmulatedGuild: Sendable, Hashable, Codable {
    /// The guild's id.
    public var id: String
    /// The guild's name.
    public var name: String
    /// Discord's `premium_tier`, 0–3.
    public var boostTier: Int
    /// The guild's roles.
    public var roles: [EmulatedRole]

    /// A guild; see each property.
    public init(id: String, name: String, boostTier: Int = 0, roles: [EmulatedRole] = []) {
        self.id = id
        self.name = name
        self.boostTier = boostTier
        self.roles = roles
    }
}

/// A role in a guild.
public struct EmulatedRole: Sendable, Hashable, Codable {
    /// The role's id.
    public var id: String
    /// The role's name.
    public var name: String

    /// A role of this id and name.
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}
