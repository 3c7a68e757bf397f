/// Why a REST call failed.
public enum DiscordRESTError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Discord answered with an error; `code` and `message` are from its JSON body (e.g. 50013 Missing
    /// Permissions, 40005 Request entity too large).
    case api(route: String, status: Int, code: Int?, message: String)
    /// Still rate limited after the allowed retries.
    case rateLimited(route: String, retryAfter: Double)
    /// The client stopped sending to stay clear of Discord's invalid-request ban.
    case invalidRequestBudgetExhausted(count: Int, retryAfterSeconds: Double)
    /// No answer: connection refused, reset, timed out, TLS failure.
    case transport(route: String, reason: String)
    /// Discord (or its CDN) stopped sending or taking bytes for `seconds` while it was waited on.
    case stalled(route: String, seconds: Int)
    /// An answer that is not what the endpoint returns.
    case malformedResponse(route: String, reason: String)
    /// A file to upload could not be read.
    case unreadableFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .api(let route, let status, let code, let message):
            "Discord refused \(route): HTTP \(status)" + (code.map { ", code \($0)" } ?? "") + ": \(message)"
        case .rateLimited(let route, let retryAfter):
            "Discord rate limit on \(route) did not clear (retry after \(retryAfter) s)"
        case .invalidRequestBudgetExhausted(let count, let retryAfter):
            "\(count) requests were refused by Discord in 10 minutes; sending is paused for \(Int(retryAfter.rounded(.up))) s to avoid a ban"
        case .transport(let route, let reason): "cannot reach Discord for \(route): \(reason)"
        case .stalled(let route, let seconds): "Discord stopped answering \(route) for \(seconds) s"
        case .malformedResponse(let route, let reason): "unexpected answer from Discord for \(route): \(reason)"
        case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
        }
    }

    /// Whether Discord stopped sending or taking bytes (``stalled(route:seconds:)``).
    public var isStall: Bool {
        if case .stalled = self { return true }
        return false
    }

    /// The HTTP status, when Discord answered.
    public var status: Int? {
        if case .api(_, let status, _, _) = self { return status }
        return nil
    }

    /// Discord's JSON error code, when it sent one.
    public var code: Int? {
        if case .api(_, _, let code, _) = self { return code }
        return nil
    }
}
