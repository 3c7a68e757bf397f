/// A storage failure, mapped by the server to the matching FTP reply.
public struct FTPStorageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure, which decides the FTP reply.
    public enum Code: Sendable, Hashable {
        case notFound
        case alreadyExists
        case notADirectory
        case isADirectory
        /// The entry is neither a file nor a directory (a FIFO, a socket, a device), which FTP does not transfer.
        case notAFile
        case directoryNotEmpty
        case permissionDenied
        /// The path would leave the storage's root (for example through a symbolic link).
        case outsideRoot
        case invalidName
        case insufficientSpace
        /// The user's quota (bytes or files) would be passed.
        case quotaExceeded
        case invalidOffset
        /// The backend cannot do this at all (``FTPStorage/setPermissions(_:to:)`` where it keeps no modes).
        case notSupported
        /// Anything else the system reported, with its message.
        case io
    }

    /// The kind of failure.
    public var code: Code
    /// The path or subject, as the user sees it; the reply adds the explanation.
    public var message: String

    /// A failure of this kind about `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }

    /// The FTP reply for this failure (RFC 959 §4.2: 550 for unavailable files, 552/452 for space, 553 for names).
    public var reply: FTPReply {
        switch self.code {
        case .notFound: FTPReply(550, "\(self.message): No such file or directory.")
        case .alreadyExists: FTPReply(550, "\(self.message): File exists.")
        case .notADirectory: FTPReply(550, "\(self.message): Not a directory.")
        case .isADirectory: FTPReply(550, "\(self.message): Is a directory.")
        case .notAFile: FTPReply(550, "\(self.message): Not a regular file.")
        case .directoryNotEmpty: FTPReply(550, "\(self.message): Directory not empty.")
        case .permissionDenied, .outsideRoot: FTPReply(550, "\(self.message): Permission denied.")
        case .invalidName: FTPReply(553, "\(self.message): File name not allowed.")
        case .insufficientSpace: FTPReply(452, "\(self.message): Insufficient storage space.")
        case .quotaExceeded: FTPReply(552, "\(self.message): Exceeded storage allocation.")
        case .invalidOffset: FTPReply(554, "\(self.message): Invalid restart offset.")
        case .notSupported: FTPReply(504, "\(self.message): not supported by this server's storage.")
        case .io: FTPReply(451, "\(self.message): Local error in processing.")
        }
    }
}
