public import Foundation

/// What the cluster knows about one stored file.
public struct ClusterFile: Sendable, Hashable {
    /// The space the file belongs to (a Discord server's, the console's…).
    public var space: Space
    /// The file's name in its space.
    public var name: String
    /// The size in bytes.
    public var size: UInt64
    /// SHA-256 of the content, hex; `nil` for files found on nodes but not uploaded through this cluster.
    public var sha256: String?
    /// CRC-32C of the content, recorded at upload beside the SHA-256: what downloads check under
    /// ``DownloadCheck/crc32c``. `nil` for files found on nodes and for files uploaded before it was recorded.
    public var crc32c: UInt32?
    /// Who stored it (a Discord user id or a local name), when known.
    public var uploader: String?
    /// When it was stored, when known.
    public var uploadedAt: Date?
    /// The nodes holding a replica.
    public var nodes: [String]
    /// Changes with every upload of this name: what was shared or cached of an older version no longer applies.
    public var version: String

    /// A file record; what is not known stays `nil`.
    public init(
        space: Space, name: String, size: UInt64, sha256: String? = nil, crc32c: UInt32? = nil,
        uploader: String? = nil, uploadedAt: Date? = nil, nodes: [String], version: String = ""
    ) {
        self.space = space
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.crc32c = crc32c
        self.uploader = uploader
        self.uploadedAt = uploadedAt
        self.nodes = nodes
        self.version = version
    }

    /// The file's identity: space and name.
    public var key: FileKey { FileKey(self.space, self.name) }
}

/// A merged listing of one space: every file with the nodes that hold it, and the nodes that could not be asked.
public struct ClusterListing: Sendable, Hashable {
    /// The files, sorted by name.
    public var files: [ClusterFile]
    /// Nodes that did not answer: files only they hold are missing from `files`, and replica counts may be low.
    public var unreachableNodes: [String]
}

/// What the cluster reports as it runs, for a bot's status messages and logs.
public enum ClusterEvent: Sendable, Hashable {
    case nodeDown(String, reason: String)
    case nodeUp(String)
    /// A file had fewer replicas than required and got them back (or could not: `restored` < `missing`).
    case repaired(file: FileKey, missing: Int, restored: Int)
    /// A node that came back still held files the cluster had deleted; they were removed.
    case reconciled(node: String, removed: [FileKey])
    /// A node holds files the cluster does not know (not uploaded through it); they are listed, not touched.
    case unknownFiles(node: String, files: [FileKey])
    /// A replica from before spaces was moved into its space's directory on a node.
    case movedIntoSpace(node: String, file: FileKey)
    /// A temporary upload left on a node (its writer stopped mid-upload) was removed by repair.
    case removedAbandonedUpload(node: String, file: FileKey)
}

/// What a whole-file download is checked against before ``Cluster/download(_:in:_:)`` returns.
public enum DownloadCheck: String, Sendable, Hashable, CaseIterable {
    /// The CRC-32C recorded at upload (SHA-256 for files that have none): catches corruption on a node's disk, in
    /// memory or on the wire at a tenth of SHA-256's CPU, so a download is not slowed by its check. The nodes are
    /// the operator's own; ``Cluster/scrub()`` still compares every replica's SHA-256.
    case crc32c
    /// The SHA-256 recorded at upload on every download: also catches a node that alters a file on purpose (a
    /// CRC can be forged), at 0.6 CPU-seconds per GiB, which on a fast link takes longer than the transfer.
    case sha256
}

/// How an upload treats a name that exists already.
public enum NameCollisionPolicy: Sendable, Hashable {
    case reject
    /// The new content replaces the old on commit (each node renames over it).
    case replace
    /// The new file is stored as `name (2).ext`, `name (3).ext`…
    case keepBoth
}

/// A name (and quota) held for one upload: what ``Cluster/reserve(_:in:size:uploader:collision:quota:)`` grants
/// and ``Cluster/upload(_:from:)`` uses once. Release an unused one with ``Cluster/cancel(_:)``.
public struct UploadReservation: Sendable, Hashable {
    var ticket: UploadBook.Ticket
    /// The name the file will have: the one asked for, or a free one under ``NameCollisionPolicy/keepBoth``.
    public var key: FileKey { self.ticket.key }
    /// The size announced before the upload, when known (the upload is refused if more arrives).
    public let size: UInt64?
    /// Who is uploading.
    public let uploader: String?
}
