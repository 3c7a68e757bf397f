import DiscordKit

/// Each guild's attachment size limit (its boost tier's), asked of Discord and kept for an hour. A guild's tier
/// changes when boosts come or go; a send Discord refuses as too large makes the bot ``forget(_:)`` the guild's
/// limit, so the next download asks again instead of failing the same way.
actor GuildLimits {
    private struct Known {
        var limit: Int
        var asked: ContinuousClock.Instant
    }

    static let lifetime = Duration.seconds(3600)
    private var known: [Snowflake: Known] = [:]

    func limit(for guild: Snowflake, rest: DiscordRESTClient, now: ContinuousClock.Instant = .now) async -> Int {
        if let known = self.known[guild], now - known.asked < Self.lifetime { return known.limit }
        // Two commands asking at once both fetch; the answers are the same, so the later one simply wins.
        let limit = (try? await rest.guild(guild).attachmentSizeLimit) ?? (10 << 20)
        self.known[guild] = Known(limit: limit, asked: now)
        return limit
    }

    func forget(_ guild: Snowflake) {
        self.known[guild] = nil
    }
}
