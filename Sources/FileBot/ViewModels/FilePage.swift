/// One page of a space's listing.
public struct FilePage: Sendable, Hashable {
    /// The rows of this page.
    public var rows: [FileRow]
    /// 0-based, within `0..<pageCount`.
    public var page: Int
    /// How many pages the listing has (at least 1).
    public var pageCount: Int
    /// The filter the listing was made with, if any.
    public var filter: String?
    /// Files in the space (all pages, before filtering).
    public var totalFiles: Int
    /// Their bytes, once each.
    public var totalBytes: UInt64
    /// Their bytes with every replica.
    public var storedBytes: UInt64
    /// Files matching the filter (all pages).
    public var matchingFiles: Int
    /// Nodes that did not answer: files only they hold are missing.
    public var unreachableNodes: [String]
}
