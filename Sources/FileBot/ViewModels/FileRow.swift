public import Balancer
public import Foundation

/// One stored file as every front end shows it.
public struct FileRow: Sendable, Hashable {
    /// The file's name in its space.
    public var name: String
    /// The size in bytes.
    public var size: UInt64
    /// When it was stored, when known.
    public var uploadedAt: Date?
    /// The uploader's id (a Discord user id, or a local user name).
    public var uploader: String?
    /// The SHA-256 of its content (hex), when recorded.
    public var sha256: String?
    /// Nodes holding a replica.
    public var nodes: [String]
    /// Replicas the cluster keeps of each file.
    public var replicasWanted: Int
    /// Changes with every upload of the name.
    public var version: String

    /// The row of a cluster file, which should have `replicasWanted` copies.
    public init(_ file: ClusterFile, replicasWanted: Int) {
        self.name = file.name
        self.size = file.size
        self.uploadedAt = file.uploadedAt
        self.uploader = file.uploader
        self.sha256 = file.sha256
        self.nodes = file.nodes
        self.replicasWanted = replicasWanted
        self.version = file.version
    }

    /// Whether every replica the cluster wants is there.
    public var isFullyReplicated: Bool { self.nodes.count >= self.replicasWanted }
}

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

/// One node's health for `status`.
public struct NodeHealth: Sendable, Hashable {
    /// The node's name.
    public var name: String
    /// Whether the node answers (healthy, and its last check succeeded).
    public var isUp: Bool
    /// Bytes the cluster stores on it.
    public var usedBytes: UInt64
    /// Free bytes it reported, when it reports them (`AVBL`).
    public var freeBytes: UInt64?
    /// Transfers running to or from it now.
    public var activeTransfers: Int
    /// The round trip of its last health check.
    public var latency: Duration?
    /// Why it is down, in a few plain words ("connection refused").
    public var problem: String?
    /// Drained or being drained: takes no new files until `!cluster undrain`.
    public var isDraining = false
}
