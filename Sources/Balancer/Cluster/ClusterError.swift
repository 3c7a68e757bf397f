/// Why a cluster operation failed, in words a bot can show to a person.
public struct ClusterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure, which front ends map to their own answers.
    public enum Code: Sendable, Hashable {
        /// No healthy node could take the file (or hold enough replicas).
        case noNodeAvailable
        /// Fewer replicas than required could be written.
        case insufficientReplicas
        /// No file of that name in the space.
        case notFound
        /// Every replica failed during a download.
        case allReplicasFailed
        /// The bytes read back do not match the checksum recorded at upload.
        case checksumMismatch
        /// The name cannot name a file (see ``Cluster/isValidName(_:)``).
        case invalidName
        /// The name exists already (upload with ``NameCollisionPolicy/reject``).
        case nameTaken
        /// Another upload holds the name right now.
        case nameBusy
        /// The uploader's quota in the space does not leave room for the file.
        case quotaExceeded
        /// The source delivered more bytes than the upload declared or reserved.
        case sizeExceeded
        /// The source ended before the size the upload declared (nothing was stored).
        case incompleteSource
        /// The file changed (a new version was uploaded) since the caller looked at it.
        case versionChanged
        /// The catalog database could not be opened, read or written.
        case catalogUnavailable
        /// Another process has the (SQLite) catalog open; it serves one process at a time.
        case catalogInUse
        /// A setting (a catalog location, its TLS files) is malformed or names something unusable.
        case invalidConfiguration
    }

    /// The kind of failure.
    public var code: Code
    /// One sentence a person can read; never a password or a library's internals.
    public var message: String

    /// An error of this kind with this sentence.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}
