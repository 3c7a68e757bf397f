public import Foundation

/// A dispatch from the gateway, decoded when DiscordKit knows its shape.
public enum GatewayEvent: Sendable {
    case ready(Ready)
    case resumed
    case messageCreate(Message)
    case interactionCreate(Interaction)
    case guildCreate(Guild)
    /// A guild's settings changed (its boost tier, and so its upload limit, among them).
    case guildUpdate(Guild)
    /// Any other dispatch (or a known one that did not decode: logged, not fatal), with its raw `d` payload.
    case other(name: String, data: Data)

    /// The READY event: the session to resume later and who the bot is.
    public struct Ready: Codable, Sendable, Hashable {
        /// The application's id (what commands are registered under).
        public struct PartialApplication: Codable, Sendable, Hashable {
            /// The application's id.
            public var id: Snowflake
            /// An application of this id.
            public init(id: Snowflake) { self.id = id }
        }

        /// A READY event's content.
        public init(sessionID: String, resumeGatewayURL: String, user: User, application: PartialApplication?) {
            self.sessionID = sessionID
            self.resumeGatewayURL = resumeGatewayURL
            self.user = user
            self.application = application
        }

        /// The session to RESUME.
        public var sessionID: String
        /// Where to connect to resume it.
        public var resumeGatewayURL: String
        /// The bot's own user.
        public var user: User
        /// The bot's application, when Discord sends it.
        public var application: PartialApplication?

        enum CodingKeys: String, CodingKey {
            case user, application
            case sessionID = "session_id"
            case resumeGatewayURL = "resume_gateway_url"
        }
    }
}

/// The envelope every gateway payload shares; `d` is decoded separately once `op`/`t` say what it is.
package struct GatewayEnvelope: Decodable {
    package var op: Int
    package var s: Int?
    package var t: String?
}

package struct GatewayData<T: Decodable>: Decodable {
    package var d: T
}

struct GatewayOutgoing<T: Encodable>: Encodable {
    var op: Int
    var d: T
}

struct IdentifyPayload: Encodable {
    struct Properties: Encodable {
        var os: String
        var browser: String
        var device: String
    }

    var token: String
    var intents: Int
    var properties: Properties
    var shard: [Int]
    var compress = false
    var largeThreshold = 50

    enum CodingKeys: String, CodingKey {
        case token, intents, properties, shard, compress
        case largeThreshold = "large_threshold"
    }
}

struct ResumePayload: Encodable {
    var token: String
    var sessionID: String
    var seq: Int
    enum CodingKeys: String, CodingKey {
        case token, seq
        case sessionID = "session_id"
    }
}

package struct HelloPayload: Decodable {
    package var heartbeatInterval: Int
    enum CodingKeys: String, CodingKey { case heartbeatInterval = "heartbeat_interval" }
}
