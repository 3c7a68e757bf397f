public import Balancer

/// A web upload finished: for a front end to say so where the link was asked for.
public struct WebUploadNotice: Sendable {
    /// What was stored.
    public var stored: StoredFile
    /// The space it was stored in.
    public var space: Space
    /// Who asked for the link.
    public var user: String
    /// Where the link was asked for (a Discord channel id), when known.
    public var channel: String?
}
