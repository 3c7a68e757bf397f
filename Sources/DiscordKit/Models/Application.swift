/// `GET /applications/@me` (only what a bot needs).
public struct Application: Codable, Sendable, Hashable {
    /// The application's id.
    public var id: Snowflake
    /// Its name.
    public var name: String

    /// An application of this id and name.
    public init(id: Snowflake, name: String) {
        self.id = id
        self.name = name
    }
}
