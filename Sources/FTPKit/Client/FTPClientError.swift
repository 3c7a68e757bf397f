/// Why a client operation failed. Carries the server's reply and the command it answered when there is one, and
/// says whether trying again may help (``isTransient``).
public struct FTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: Sendable, Hashable {
        /// TCP connect failed or was refused.
        case connectionFailed
        /// The server closed the control or data connection unexpectedly.
        case connectionClosed
        /// No reply (or no data) within the configured time.
        case timeout
        /// The server answered with an error code.
        case replyError
        /// The server sent something that is not FTP (a garbled or truncated reply).
        case protocolViolation
        /// The server does not offer what the operation needs (e.g. HASH, AVBL).
        case notSupported
        /// A local problem: reading or writing a local file, or the caller's own code failing (a download's body).
        case local
        /// The client is busy or was closed.
        case invalidState
        /// TLS failed: handshake, certificate verification, a pin that does not match, or a server without FTPS.
        case tls
        /// The task was cancelled while it waited for the connection (another operation was using it).
        case cancelled
    }

    /// The kind of failure.
    public var code: Code
    /// What failed, in one sentence.
    public var message: String
    /// The reply that ended the operation, when the server sent one.
    public var reply: FTPReply?
    /// The command that got that reply (never a password).
    public var command: String?
    /// The operating system's error number behind a failed connection (`ECONNREFUSED`, `ETIMEDOUT`…), when known.
    public var systemErrorCode: Int32?

    /// An error of this kind; the reply, command and system error when there are any.
    public init(
        _ code: Code, _ message: String, reply: FTPReply? = nil, command: String? = nil, systemErrorCode: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.reply = reply
        self.command = command
        self.systemErrorCode = systemErrorCode
    }

    /// The code of ``reply``, when there is one.
    public var replyCode: Int? { self.reply?.code }

    /// 4xx replies, lost connections and timeouts may succeed on another try (on a new connection if this one
    /// was lost); 5xx replies and local problems will not.
    public var isTransient: Bool {
        switch self.code {
        case .connectionFailed, .connectionClosed, .timeout: return true
        case .replyError: return (self.reply?.code ?? 0) / 100 == 4
        case .protocolViolation, .notSupported, .local, .invalidState, .tls, .cancelled: return false
        }
    }

    /// Whether the control connection is unusable after this error (the caller should reconnect). An error that
    /// came with a whole control reply leaves the control connection in step, so it stays usable: a data
    /// connection that broke before the server's final reply, a 213 whose text is not a size or a time, an
    /// unreadable PASV address. A garbled or truncated reply, a lost control connection, a timeout or a 421 (the
    /// server closes the control connection after it) do not.
    public var connectionIsBroken: Bool {
        switch self.code {
        case .connectionFailed, .timeout, .tls: return true
        case .connectionClosed, .protocolViolation: return self.reply == nil || self.reply?.code == 421
        case .replyError, .notSupported, .local, .invalidState, .cancelled: return false
        }
    }

    public var description: String {
        var s = self.message
        if let command { s += " (\(command)" + (self.reply.map { " → \($0.code) \($0.text)" } ?? "") + ")" }
        else if let reply { s += " (\(reply.code) \(reply.text))" }
        return s
    }
}
