public import Balancer

/// Who asks, and in which space: every use case acts for one caller and sees only the caller's space.
public struct Caller: Sendable, Hashable {
    /// A Discord user id, or the local user's name on the console.
    public var id: String
    /// How the front end shows this person.
    public var displayName: String
    /// Discord role ids the caller has where they asked.
    public var roles: Set<String>
    /// A local operator (the console) may delete any file of the space.
    public var isOperator: Bool
    /// The space whose files this caller sees (their Discord server's, their own DM space, or the console's).
    public var space: Space

    /// A caller with no roles and no operator rights unless given.
    public init(id: String, displayName: String, roles: Set<String> = [], isOperator: Bool = false, space: Space) {
        self.id = id
        self.displayName = displayName
        self.roles = roles
        self.isOperator = isOperator
        self.space = space
    }
}

/// Where each conversation keeps its files: a Discord server's own space unless configuration joins it with
/// others under one name; a person's direct messages in a space of their own, or refused.
public struct SpaceMap: Sendable, Hashable {
    /// What commands in direct messages get.
    public enum DirectMessages: String, Sendable, Hashable, CaseIterable {
        /// Each person gets a private space (`dm-<user id>`).
        case `private`
        /// Commands in direct messages are answered with a refusal.
        case refuse
    }

    /// Guild id → the space it uses instead of its own (several guilds may name one space).
    public var joined: [String: Space]
    /// Whether direct messages get a private space or are refused.
    public var directMessages: DirectMessages

    /// A map with these joined guilds and this rule for direct messages.
    public init(joined: [String: Space] = [:], directMessages: DirectMessages = .private) {
        self.joined = joined
        self.directMessages = directMessages
    }

    /// The space of a conversation: a guild's (`guildID`), or `userID`'s direct messages.
    public func space(guildID: String?, userID: String) -> Result<Space, Refusal> {
        if let guildID {
            if let joined = self.joined[guildID] { return .success(joined) }
            guard let own = Space.guild(guildID) else { return .failure(Refusal(.failed(problem: "this server's id is not usable."))) }
            return .success(own)
        }
        guard self.directMessages == .private else { return .failure(Refusal(.directMessagesRefused)) }
        guard let own = Space.directMessages(userID) else { return .failure(Refusal(.failed(problem: "your user id is not usable."))) }
        return .success(own)
    }
}
