package import Foundation

/// A storage operation a command needs; the driver runs it and hands the result back to the state machine.
/// Paths are storage paths (the user's root already applied); `display` is what the user sees.
package enum FTPFileOperation: Sendable, Hashable {
    case changeDirectory(FTPPath, display: FTPPath)
    case delete(FTPPath, display: FTPPath)
    case makeDirectory(FTPPath, display: FTPPath)
    case removeDirectory(FTPPath, display: FTPPath)
    /// RNFR: the source must exist.
    case renameSource(FTPPath, display: FTPPath)
    /// `fromDisplay` is the source as the user named it (RNFR), for the audit log and events.
    case rename(from: FTPPath, to: FTPPath, fromDisplay: FTPPath, display: FTPPath)
    case size(FTPPath, display: FTPPath)
    case modificationTime(FTPPath, display: FTPPath)
    case setModificationTime(FTPPath, Date, display: FTPPath, timestamp: String)
    /// SITE CHMOD: `mode` is permission bits only (at most `0o777`).
    case setPermissions(FTPPath, mode: UInt16, display: FTPPath)
    case machineInfo(FTPPath, display: FTPPath, facts: [MachineListFact])
    /// STAT with a path: a listing over the control connection.
    case status(FTPPath, display: FTPPath)
    case hash(FTPPath, display: FTPPath, algorithm: FTPHashAlgorithm, range: ClosedRange<UInt64>?)
    case availableSpace(FTPPath)
}

/// The outcome of an ``FTPFileOperation``.
package enum FTPFileOperationResult: Sendable, Hashable {
    case done
    case info(FTPFileInfo)
    /// What STAT with a path shows: a file's line, or a directory's (or a pattern's) entries, sent as they are read.
    case listingTarget(FTPListingTarget)
    /// The hex digest and the byte range it covers (`last` is inclusive).
    case hash(String, first: UInt64, last: UInt64)
    case space(UInt64?)
    case failed(FTPStorageError)
}

/// The digests of the HASH extension (draft-ietf-ftpext2-hash), as named on the wire.
public enum FTPHashAlgorithm: String, Sendable, Hashable, CaseIterable {
    case sha256 = "SHA-256"
    case sha1 = "SHA-1"
    case md5 = "MD5"
}
