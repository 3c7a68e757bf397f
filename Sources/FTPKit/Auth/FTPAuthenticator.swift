/// Decides who may log in. The server calls it off the event loop; implementations may be slow (a KDF, a network
/// call) but should not block a thread for long.
public protocol FTPAuthenticator: Sendable {
    /// The user for these credentials, or `nil` when they are not valid. `client` is the peer's IP address, for
    /// logging or address-based rules.
    func authenticate(user: String, password: String, client: String) async -> FTPUser?
}

/// Accepts a fixed set of users with plain-text passwords: for tests and embedding, never for production. Its
/// descriptions name the users, never their passwords.
public struct StaticAuthenticator: FTPAuthenticator, CustomStringConvertible, CustomDebugStringConvertible {
    /// Users by name, with their plain-text passwords.
    public var users: [String: (password: String, user: FTPUser)]

    /// These users, each with `/` as root and the given permissions.
    public init(_ users: [(name: String, password: String, permissions: FTPPermissions)]) {
        var map: [String: (password: String, user: FTPUser)] = [:]
        for u in users { map[u.name] = (u.password, FTPUser(name: u.name, permissions: u.permissions)) }
        self.users = map
    }

    /// `StaticAuthenticator(alice, bob)`: the user names only.
    public var description: String { "StaticAuthenticator(\(self.users.keys.sorted().joined(separator: ", ")))" }

    /// The same as ``description``.
    public var debugDescription: String { self.description }

    public func authenticate(user: String, password: String, client: String) async -> FTPUser? {
        guard let entry = self.users[user], PasswordHasher.constantTimeEqual(Array(entry.password.utf8), Array(password.utf8))
        else { return nil }
        return entry.user
    }
}
