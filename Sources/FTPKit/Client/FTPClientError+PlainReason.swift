import Foundation
import NIOCore
import NIOPosix

extension FTPClientError {
    /// The problem in a few plain words for a person ("connection refused", "login refused"), without addresses,
    /// library types or reply text; ``description`` keeps the details for logs.
    public var plainReason: String {
        switch self.code {
        case .connectionFailed:
            switch self.systemErrorCode {
            case ECONNREFUSED: return "connection refused"
            case ETIMEDOUT: return "connection timed out"
            case EHOSTUNREACH, ENETUNREACH: return "unreachable"
            case ENOENT: return "host name not found"
            default: return "cannot connect"
            }
        case .connectionClosed: return "the connection was lost"
        case .timeout: return "no answer in time"
        case .replyError:
            switch self.replyCode {
            case 530: return "login refused"
            case 421: return "the server is busy or shutting down"
            case 450, 550: return "file unavailable"
            case 452, 552: return "out of space"
            case let code?: return "refused (\(code))"
            case nil: return "refused"
            }
        case .protocolViolation: return "answered something that is not FTP"
        case .notSupported: return "does not support that"
        case .local: return "a local file could not be used"
        case .invalidState: return "the connection was closed"
        case .tls: return "secure connection (TLS) failed"
        case .cancelled: return "the operation was cancelled"
        }
    }

    /// The errno inside a NIO connect failure: happy-eyeballs wraps one per address tried. A name that resolves to
    /// nothing is reported as `ENOENT`.
    static func systemErrorCode(of error: any Error) -> Int32? {
        switch error {
        case let e as IOError: return e.errnoCode
        case let e as NIOConnectionError:
            if let code = e.connectionErrors.lazy.compactMap({ Self.systemErrorCode(of: $0.error) }).first { return code }
            return e.dnsAError != nil || e.dnsAAAAError != nil ? ENOENT : nil
        case let e as ChannelError:
            if case .connectTimeout = e { return ETIMEDOUT }
            return nil
        case is SocketAddressError: return ENOENT
        default: return nil
        }
    }
}
