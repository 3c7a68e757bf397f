/// Discord's REST routes as the emulator limits them: which bucket a request falls in, the bucket's major
/// parameter (channel, guild, webhook or interaction: each gets its own counter), its size, and whether it
/// counts against the global limit (interaction endpoints do not).
struct RouteTable {
    struct Bucket: Sendable {
        /// The name clients see hashed in `X-RateLimit-Bucket` (the same for every major parameter).
        var name: String
        var major: String
        var limit: Int
        var window: Duration
        var countsGlobally: Bool

        var key: String { self.name + "|" + self.major }
        var hash: String {
            // A stable, opaque hash like Discord's (FNV-1a of the name).
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in self.name.utf8 {
                h ^= UInt64(byte)
                h = h &* 0x100_0000_01b3
            }
            return String(h, radix: 16)
        }
    }

    /// Message create/edit: per channel.
    var messageWrite: (limit: Int, window: Duration)

    func bucket(method: String, parts: [String]) -> Bucket {
        let first = parts.first ?? ""
        switch first {
        case "channels" where parts.count >= 3 && parts[2] == "messages":
            if method == "DELETE" {
                return Bucket(name: "message-delete", major: parts[1], limit: 5, window: .seconds(1), countsGlobally: true)
            }
            if method == "POST" || method == "PATCH" {
                return Bucket(name: "message-write", major: parts[1], limit: self.messageWrite.limit,
                              window: self.messageWrite.window, countsGlobally: true)
            }
            return Bucket(name: "message-read", major: parts[1], limit: 5, window: .seconds(5), countsGlobally: true)
        case "channels", "guilds":
            return Bucket(name: "\(first)-\(method)-\(parts.count)", major: parts.count > 1 ? parts[1] : "",
                          limit: 5, window: .seconds(1), countsGlobally: true)
        case "interactions" where parts.count >= 3:
            // Each interaction is its own bucket (one answer is all it takes; a second gets 40060).
            return Bucket(name: "interaction-callback", major: parts[1], limit: 5, window: .seconds(1),
                          countsGlobally: false)
        case "webhooks" where parts.count >= 3:
            return Bucket(name: "webhook-\(method)", major: parts[1] + "/" + parts[2], limit: 5, window: .seconds(2),
                          countsGlobally: false)
        case "applications":
            return Bucket(name: "commands-\(method)", major: parts.count > 1 ? parts[1] : "", limit: 10,
                          window: .seconds(20), countsGlobally: true)
        default:
            return Bucket(name: "\(method) /\(first)", major: "", limit: 50, window: .seconds(1), countsGlobally: true)
        }
    }
}
