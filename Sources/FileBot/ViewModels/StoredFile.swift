/// A file just stored, and what happened to the name asked for.
public struct StoredFile: Sendable, Hashable {
    /// The stored file.
    public var row: FileRow
    /// The name as given (an attachment's, or typed).
    public var requestedName: String
    /// Whether the name had to be cleaned (separators, control characters, leading dots).
    public var wasCleaned: Bool
    /// The cleaned name, when it existed already and the file was kept beside it under ``row``'s name.
    public var collidedWith: String?
}
