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

    public struct Ready: Codable, Sendable, Hashable {
        public struct PartialApplication: Codable, Sendable, Hashable {
            public var id: Snowflake
            public init(id: Snowflake) { self.id = id }
        }

        public init(sessionID: String, resumeGatewayURL: String, user: User, application: PartialApplication?) {
            self.sessionID = sessionID
            self.resumeGatewayURL = resumeGatewayURL
            self.user = user
            self.application = application
        }

        public var sessionID: String
        public var resumeGatewayURL: String
        public var user: User
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
