/// How links are made: where they point and how long they live.
public struct LinkSettings: Sendable {
    /// The address people open, without a trailing slash (`https://files.example.net`, or what a reverse proxy
    /// publishes).
    public var publicURL: String
    /// What a link gets when its maker asks for no lifetime.
    public var linkLifetime: Duration
    /// The longest lifetime anyone may ask for; longer requests are refused.
    public var maxLinkLifetime: Duration
    /// How long an upload page works.
    public var uploadLinkLifetime: Duration

    /// Link settings; see each property. A default `linkLifetime` above `maxLinkLifetime` is cut to it: the
    /// maximum is a limit, never lifted.
    public init(
        publicURL: String, linkLifetime: Duration = .seconds(24 * 3600), maxLinkLifetime: Duration = .seconds(7 * 24 * 3600),
        uploadLinkLifetime: Duration = .seconds(3600)
    ) {
        self.publicURL = Self.withoutTrailingSlash(publicURL)
        self.linkLifetime = min(linkLifetime, maxLinkLifetime)
        self.maxLinkLifetime = maxLinkLifetime
        self.uploadLinkLifetime = uploadLinkLifetime
    }

    static func withoutTrailingSlash(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }
}
