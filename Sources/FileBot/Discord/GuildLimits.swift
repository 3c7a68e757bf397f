import DiscordKit
import Synchronization

/// Each guild's attachment size limit (its boost tier's). The gateway says it when the bot connects or joins
/// (`GUILD_CREATE`) and again whenever boosts come or go (`GUILD_UPDATE`), so ``learn(_:now:)`` keeps it current;
/// a guild not heard of is asked of Discord and kept for an hour. A send Discord refuses as too large makes the bot
/// ``forget(_:)`` the guild's limit, so the next download asks again instead of failing the same way.
///
/// A lock, not an actor: the command router calls ``learn(_:now:)`` synchronously, in event order, so a command
/// that follows a `GUILD_UPDATE` already sees its limit.
final class GuildLimits: Sendable {
    private struct Known {
        var limit: Int
        var learned: ContinuousClock.Instant
    }

    static let lifetime = Duration.seconds(3600)
    private let known = Mutex<[Snowflake: Known]>([:])

    func limit(for guild: Snowflake, rest: DiscordRESTClient, now: ContinuousClock.Instant = .now) async -> Int {
        if let known = self.known.withLock({ $0[guild] }), now - known.learned < Self.lifetime { return known.limit }
        // Two commands asking at once both fetch; the answers are the same, so the later one simply wins.
        let limit = (try? await rest.guild(guild).attachmentSizeLimit) ?? (10 << 20)
        self.known.withLock { known in
            // An event that arrived while the request was out is newer than its answer: keep the event's.
            if let newer = known[guild], newer.learned > now { return }
            known[guild] = Known(limit: limit, learned: now)
        }
        return limit
    }

    /// What the gateway said of `guild`.
    func learn(_ guild: Guild, now: ContinuousClock.Instant = .now) {
        self.known.withLock { $0[guild.id] = Known(limit: guild.attachmentSizeLimit, learned: now) }
    }

    func forget(_ guild: Snowflake) {
        self.known.withLock { $0[guild] = nil }
    }
}
