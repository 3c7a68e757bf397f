public import Foundation

/// One line of the audit log: who did what, from where, to which path, and how it ended. Never carries a
/// password (the login records name the user only).
public struct FTPAuditRecord: Sendable, Hashable, Codable {
    /// What happened.
    public enum Event: String, Sendable, Hashable, Codable {
        case login
        case loginFailed = "login_failed"
        case upload
        case download
        case delete
        case rename
        case mkdir
        case rmdir
        case chmod
    }

    /// How it ended.
    public enum Result: String, Sendable, Hashable, Codable {
        case ok
        /// The transfer stopped before its end (ABOR, a lost connection, a stall); nothing was committed.
        case incomplete
        case failed
    }

    /// When it ended.
    public var time: Date
    /// What happened.
    public var event: Event
    /// The name given at login (for a failed login, the name tried).
    public var user: String
    /// The client's real address (after PROXY).
    public var address: String
    /// The path acted on, as the user sees it (below their root).
    public var path: String?
    /// The new path of a rename.
    public var to: String?
    /// Bytes moved by a transfer.
    public var bytes: UInt64?
    /// Seconds from the transfer's start to its end.
    public var duration: Double?
    /// How it ended.
    public var result: Result
    /// Why it failed, in the words of the reply the client got.
    public var reason: String?
    /// The content's SHA-256 (hex), when the server computed one for this transfer.
    public var sha256: String?
    /// The permission bits a `chmod` set, in octal (`"644"`).
    public var mode: String?

    /// A record; only what applies to the event is set.
    public init(
        time: Date = Date(), event: Event, user: String, address: String, path: String? = nil, to: String? = nil,
        bytes: UInt64? = nil, duration: Double? = nil, result: Result = .ok, reason: String? = nil,
        sha256: String? = nil, mode: String? = nil
    ) {
        self.time = time
        self.event = event
        self.user = user
        self.address = address
        self.path = path
        self.to = to
        self.bytes = bytes
        self.duration = duration
        self.result = result
        self.reason = reason
        self.sha256 = sha256
        self.mode = mode
    }
}

/// Where a server sends its audit records (``FTPServerConfiguration/auditSink``). Called from sessions as things
/// happen: an implementation must not block (hand the record to a writer of its own, as ``FTPAuditLog`` does).
public protocol FTPAuditSink: Sendable {
    func record(_ record: FTPAuditRecord)
}
