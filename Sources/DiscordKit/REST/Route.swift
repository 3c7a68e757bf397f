public import NIOHTTP1

/// One REST call's method and path, with what rate limiting needs: the route's shape (IDs other than the
/// major parameter replaced) and its major parameter (channel, guild, webhook or interaction), which splits
/// Discord's buckets.
public struct Route: Sendable, Hashable, CustomStringConvertible {
    /// The HTTP method.
    public var method: HTTPMethod
    /// The path after the API base, starting with `/`, already percent-encoded.
    public var path: String
    /// E.g. `POST /channels/{channel_id}/messages`.
    public var shape: String
    /// The channel, guild or webhook id the route is under (its own limits), or empty.
    public var majorParameter: String
    /// Interaction callbacks and webhook follow-ups do not count against the global limit.
    public var exemptFromGlobalLimit: Bool

    /// The route of `method` on `path` (under `/api/v10`).
    public init(_ method: HTTPMethod, _ path: String) {
        self.method = method
        self.path = path
        let parts = path.prefix { $0 != "?" }.split(separator: "/", omittingEmptySubsequences: true)
        var shaped: [String] = []
        var major = ""
        for (i, part) in parts.enumerated() {
            let previous = i > 0 ? String(parts[i - 1]) : ""
            let isMajor = ["channels", "guilds", "webhooks"].contains(previous) && i == 1
            let isWebhookToken = i == 2 && parts.first == "webhooks"
            let isInteractionToken = i == 2 && parts.first == "interactions"
            // Each interaction's callback is its own bucket: one user's answer never waits on another's.
            let isInteractionID = i == 1 && parts.first == "interactions"
            if isInteractionID {
                major += (major.isEmpty ? "" : "/") + part
                shaped.append("{interaction}")
            } else if isMajor || isWebhookToken {
                major += (major.isEmpty ? "" : "/") + part
                shaped.append(isMajor ? "{\(previous)}" : "{token}")
            } else if isInteractionToken {
                shaped.append("{token}")
            } else if part.allSatisfy(\.isNumber) {
                shaped.append("{id}")
            } else {
                shaped.append(String(part))
            }
        }
        self.shape = "\(method.rawValue) /" + shaped.joined(separator: "/")
        self.majorParameter = major
        self.exemptFromGlobalLimit = parts.first == "interactions" || parts.first == "webhooks"
    }

    /// `POST /channels/{channels}/messages`: the shape, which starts with the method.
    public var description: String { self.shape }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.method.rawValue)
        hasher.combine(self.path)
    }
}

extension Route {
    /// Percent-encodes one path segment (names and tokens from users never break the path).
    static func segment(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"), UInt8(ascii: "@"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPad(2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPad(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }
}
