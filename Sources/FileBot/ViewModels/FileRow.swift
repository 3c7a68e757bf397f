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
