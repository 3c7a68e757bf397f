// The gateway's wire payloads: what is decoded from and encoded to the socket (GatewayEvent is what callers see).

/// The envelope every gateway payload shares; `d` is decoded separately once `op`/`t` say what it is.
package struct GatewayEnvelope: Decodable {
    package var op: Int
    package var s: Int?
    package var t: String?
}

/// A payload's `d`, decoded as the type its `op` and `t` name.
package struct GatewayData<T: Decodable>: Decodable {
    package var d: T
}

/// A payload the client sends: an opcode and its data.
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
