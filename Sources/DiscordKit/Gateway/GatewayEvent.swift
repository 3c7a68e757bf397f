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
