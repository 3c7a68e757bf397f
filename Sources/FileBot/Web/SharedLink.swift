public import Foundation

/// A link made for someone.
public struct SharedLink: Sendable, Hashable {
    /// The link, under the public URL.
    public var url: String
    /// When it stops working.
    public var expires: Date
    /// The file, for download links.
    public var name: String?
}
