public import Foundation

/// What a link grants, signed into its token: a download of one version of one file, or one upload into a space.
public struct LinkClaims: Codable, Sendable, Hashable {
    /// What the link is for.
    public enum Purpose: String, Codable, Sendable {
        case download = "d"
        case upload = "u"
    }

    /// Download or upload.
    public var purpose: Purpose
    /// The space the file is in, or goes to.
    public var space: String
    /// The file (downloads).
    public var name: String?
    /// The file version the link was made for: a replaced, deleted or unshared file no longer matches.
    public var version: String?
    /// Seconds since 1970 after which the link is dead.
    public var expires: Int64
    /// Who asked (uploads are stored as theirs, within their quota).
    public var user: String?
    /// Where to say that a web upload finished (a Discord channel id).
    public var channel: String?
    /// The largest file the upload may store.
    public var maxBytes: UInt64?
    /// Random: tells two links apart, and makes an upload link usable once.
    public var id: String

    enum CodingKeys: String, CodingKey {
        case purpose = "p", space = "s", name = "n", version = "v", expires = "e", user = "u", channel = "c"
        case maxBytes = "m", id = "i"
    }

    /// Claims for a link; see each property.
    public init(
        purpose: Purpose, space: String, name: String? = nil, version: String? = nil, expires: Date,
        user: String? = nil, channel: String? = nil, maxBytes: UInt64? = nil,
        id: String = String(UInt64.random(in: 1...UInt64.max), radix: 36)
    ) {
        self.purpose = purpose
        self.space = space
        self.name = name
        self.version = version
        self.expires = Int64(expires.timeIntervalSince1970.rounded(.up))
        self.user = user
        self.channel = channel
        self.maxBytes = maxBytes
        self.id = id
    }

    /// When the link stops working.
    public var expiry: Date { Date(timeIntervalSince1970: TimeInterval(self.expires)) }
}
