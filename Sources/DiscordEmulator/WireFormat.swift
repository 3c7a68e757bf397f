import DiscordKit
import Foundation

/// Discord's payloads carry more fields than DiscordKit's models need; clients nobody here wrote (discord.py)
/// require them. Everything the emulator sends passes through ``complete(_:)``, which adds the documented
/// fields with neutral values, so the emulator's wire shapes match Discord's.
enum WireFormat {
    static let epoch = "2026-01-01T00:00:00.000000+00:00"

    /// Encodes `value` and completes every user, member, attachment and message inside it.
    static func data<T: Encodable>(_ value: T) -> Data {
        guard let encoded = try? JSONEncoder().encode(value),
            let object = try? JSONSerialization.jsonObject(with: encoded, options: [.fragmentsAllowed])
        else { return Data("{}".utf8) }
        return self.serialize(self.complete(object))
    }

    static func serialize(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])) ?? Data("{}".utf8)
    }

    static func complete(_ object: Any) -> Any {
        if let list = object as? [Any] { return list.map(self.complete) }
        guard var dict = object as? [String: Any] else { return object }
        for (key, value) in dict { dict[key] = self.complete(value) }
        func setDefault(_ key: String, _ value: Any) { if dict[key] == nil { dict[key] = value } }
        if dict["username"] != nil, dict["id"] != nil {
            setDefault("discriminator", "0")
            setDefault("avatar", NSNull())
            setDefault("global_name", NSNull())
            setDefault("public_flags", 0)
            setDefault("bot", false)
        }
        if dict["filename"] != nil, let url = dict["url"] {
            setDefault("proxy_url", url)
            setDefault("content_type", "application/octet-stream")
        }
        if dict["roles"] is [Any], dict["token"] == nil {
            setDefault("joined_at", self.epoch)
            setDefault("deaf", false)
            setDefault("mute", false)
            setDefault("flags", 0)
            setDefault("nick", NSNull())
        }
        if dict["channel_id"] != nil, dict["author"] != nil {
            setDefault("type", 0)
            setDefault("tts", false)
            setDefault("mention_everyone", false)
            setDefault("mentions", [Any]())
            setDefault("mention_roles", [Any]())
            setDefault("pinned", false)
            setDefault("timestamp", self.timestamp(of: dict["id"] as? String))
            setDefault("edited_timestamp", NSNull())
            setDefault("flags", 0)
            setDefault("embeds", [Any]())
            setDefault("attachments", [Any]())
            setDefault("components", [Any]())
        }
        return dict
    }

    static func timestamp(of id: String?) -> String {
        guard let date = id.flatMap({ Snowflake($0).date }) else { return self.epoch }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    /// A full GUILD_CREATE: the guild with its channels and the @everyone role.
    static func guildCreate(_ guild: Guild, channels: [DiscordKit.Channel], owner: Snowflake) -> [String: Any] {
        [
            "id": guild.id.rawValue, "name": guild.name, "icon": NSNull(), "splash": NSNull(),
            "discovery_splash": NSNull(), "owner_id": owner.rawValue, "afk_channel_id": NSNull(), "afk_timeout": 300,
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
            "features": [Any](), "mfa_level": 0, "application_id": NSNull(), "system_channel_id": NSNull(),
            "system_channel_flags": 0, "rules_channel_id": NSNull(), "vanity_url_code": NSNull(),
            "description": NSNull(), "banner": NSNull(), "premium_tier": guild.premiumTier ?? 0,
            "premium_subscription_count": 0, "preferred_locale": "en-US", "public_updates_channel_id": NSNull(),
            "nsfw_level": 0, "premium_progress_bar_enabled": false, "large": false, "unavailable": false,
            "member_count": 2, "joined_at": self.epoch, "emojis": [Any](), "stickers": [Any](),
            "roles": [[
                "id": guild.id.rawValue, "name": "@everyone", "permissions": "1071698660929", "position": 0,
                "color": 0, "hoist": false, "managed": false, "mentionable": false, "flags": 0,
            ] as [String: Any]],
            "channels": channels.filter { $0.guildID == guild.id }.enumerated().map { i, c -> [String: Any] in
                ["id": c.id.rawValue, "type": c.type, "name": c.name ?? "channel", "position": i,
                 "permission_overwrites": [Any](), "nsfw": false, "parent_id": NSNull(), "topic": NSNull(),
                 "last_message_id": NSNull(), "rate_limit_per_user": 0]
            },
            "members": [Any](), "threads": [Any](), "voice_states": [Any](), "presences": [Any](),
            "stage_instances": [Any](), "guild_scheduled_events": [Any](), "soundboard_sounds": [Any](),
        ]
    }
}
