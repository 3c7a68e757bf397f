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
