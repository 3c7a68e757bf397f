public import Balancer
public import Foundation

/// One stored file as every front end shows it.
public struct FileRow: Sendable, Hashable {
    public var name: String
    public var size: UInt64
    public var uploadedAt: Date?
    /// The uploader's id (a Discord user id, or a local user name).
    public var uploader: String?
    public var sha256: String?
    /// Nodes holding a replica.
    public var nodes: [String]
    /// Replicas the cluster keeps of each file.
    public var replicasWanted: Int
    /// Changes with every upload of the name.
    public var version: String

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
    public var rows: [FileRow]
    /// 0-based, within `0..<pageCount`.
    public var page: Int
    public var pageCount: Int
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
    public var name: String
    public var isUp: Bool
    public var usedBytes: UInt64
    public var freeBytes: UInt64?
    public var activeTransfers: Int
    public var latency: Duration?
    /// Why it is down, in a few plain words ("connection refused").
    public var problem: String?
    /// Drained or being drained: takes no new files until `!cluster undrain`.
    public var isDraining = false
}
