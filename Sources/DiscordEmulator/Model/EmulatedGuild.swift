/// A guild (server): its boost tier decides the upload limit, its roles can be given to members.
public struct EmulatedGuild: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    /// Discord's `premium_tier`, 0–3.
    public var boostTier: Int
    public var roles: [EmulatedRole]

    public init(id: String, name: String, boostTier: Int = 0, roles: [EmulatedRole] = []) {
        self.id = id
        self.name = name
        self.boostTier = boostTier
        self.roles = roles
    }
}

/// A role in a guild.
public struct EmulatedRole: Sendable, Hashable, Codable {
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}
