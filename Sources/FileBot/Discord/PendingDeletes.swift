import Balancer
import DiscordKit
import Foundation

/// Delete confirmations waiting for their button, keyed by a short token (button ids hold 100 characters, a
/// file name may not fit). Each is good for one press, by the person who asked, for 15 minutes.
actor PendingDeletes {
    struct Entry {
        var name: String
        var caller: Caller
        var created: ContinuousClock.Instant
    }

    private var pending: [String: Entry] = [:]

    func add(name: String, caller: Caller, now: ContinuousClock.Instant = .now) -> String {
        self.pending = self.pending.filter { now - $0.value.created < .seconds(900) }
        let token = String(UUID().uuidString.prefix(8))
        self.pending[token] = Entry(name: name, caller: caller, created: now)
        return token
    }

    /// The pending delete, taken (it cannot be answered twice); `nil` for someone else or an unknown token.
    func take(_ token: String, user: Snowflake) -> Entry? {
        guard let entry = self.pending[token], entry.caller.id == user.rawValue else { return nil }
        self.pending[token] = nil
        return entry
    }
}
