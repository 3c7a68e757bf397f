import Foundation

/// One interaction a user started (a slash command, an autocomplete, a button press) and what the bot did with
/// it, as the emulator tracks it to enforce the 3-second first answer and the 15-minute token.
public struct EmulatedInteraction: Sendable, Hashable {
    /// Discord's interaction type.
    public enum Kind: Int, Sendable, Hashable {
        case ping = 1, applicationCommand = 2, messageComponent = 3, autocomplete = 4, modalSubmit = 5
    }

    /// The interaction object the bot received.
    public var json: EmulatorJSON
    /// Its type.
    public var kind: Kind
    /// Who triggered it.
    public var userID: String
    /// Where.
    public var channelID: String
    /// When it was created, on the emulator's clock.
    var created: ContinuousClock.Instant
    /// The bot's initial callback body, once it answered.
    public internal(set) var response: EmulatorJSON?
    /// The message the initial answer created (or a component's message that an update edits).
    public internal(set) var originalMessageID: String?
    /// Follow-up message IDs, in order.
    public internal(set) var followupIDs: [String] = []

    /// The interaction's id.
    public var id: String { self.json["id"]?.string ?? "" }
    /// Its token (for responses and follow-ups).
    public var token: String { self.json["token"]?.string ?? "" }
    /// The callback type the bot answered with (4 message, 5 deferred, 6 deferred update, 7 update, 8 choices).
    public var responseType: Int? { self.response?["type"]?.int }
    /// Autocomplete: the choices the bot offered.
    public var choices: [EmulatorJSON] { self.response?["data"]?["choices"]?.array ?? [] }
}
