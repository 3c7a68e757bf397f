/// Discord's limits on what a message may carry. A message over any of them is refused whole (400, code
/// 50035), so every message DiscordKit sends is first fitted here, in one place: text is cut with `…`, and what
/// cannot be cut (embeds past 10, fields past 25) is dropped, with a note where the reader would miss it.
///
/// Discord measures text in Unicode code points (its API is written in Python 3, whose `len` counts them; Discord's
/// staff said so in discord-api-docs#1315), not in the grapheme clusters `String.count` counts: a name in decomposed
/// form (`é` as `e` and U+0301, as macOS writes names) is two of them, so a limit checked with `count` lets through
/// text Discord refuses. Every limit here is checked with ``length(_:)``.
public enum MessageLimits {
    /// Characters of a message's content.
    public static let content = 2000
    /// Embeds per message.
    public static let embeds = 10
    /// Characters of an embed's title.
    public static let embedTitle = 256
    /// Characters of an embed's description.
    public static let embedDescription = 4096
    /// Fields per embed.
    public static let fields = 25
    /// Characters of a field's name.
    public static let fieldName = 256
    /// Characters of a field's value.
    public static let fieldValue = 1024
    /// Characters of an embed's footer.
    public static let footerText = 2048
    /// Characters across all of a message's embeds.
    public static let embedTotal = 6000
    /// Characters of a component's `custom_id` (what a button press sends back).
    public static let customID = 100

    /// `text`'s length as Discord counts it against a limit: code points.
    public static func length(_ text: String) -> Int { text.unicodeScalars.count }

    /// `text` cut to `limit` code points, the last one `…` when anything was cut. The cut falls between characters,
    /// never inside one (a letter is not parted from its accent), so the text may come out a little shorter.
    public static func cut(_ text: String, to limit: Int) -> String {
        guard Self.length(text) > limit else { return text }
        let budget = max(0, limit - 1)
        var kept = 0
        var end = text.startIndex
        for index in text.indices {
            kept += text[index].unicodeScalars.count
            if kept > budget { break }
            end = text.index(after: index)
        }
        return String(text[..<end]) + "…"
    }
}

extension Embed {
    var characterCount: Int {
        MessageLimits.length(self.title ?? "") + MessageLimits.length(self.description ?? "")
            + MessageLimits.length(self.footer?.text ?? "")
            + (self.fields ?? []).reduce(0) { $0 + MessageLimits.length($1.name) + MessageLimits.length($1.value) }
    }

    /// This embed within every per-embed limit; fields past 25 are replaced by a last one saying how many more.
    public func fittingLimits() -> Embed {
        var embed = self
        embed.title = embed.title.map { MessageLimits.cut($0, to: MessageLimits.embedTitle) }
        embed.description = embed.description.map { MessageLimits.cut($0, to: MessageLimits.embedDescription) }
        embed.footer = embed.footer.map { Embed.Footer(text: MessageLimits.cut($0.text, to: MessageLimits.footerText)) }
        if var fields = embed.fields {
            if fields.count > MessageLimits.fields {
                let hidden = fields.count - (MessageLimits.fields - 1)
                fields = Array(fields.prefix(MessageLimits.fields - 1))
                fields.append(Embed.Field(name: "…", value: "and \(hidden) more"))
            }
            embed.fields = fields.map {
                Embed.Field(name: MessageLimits.cut($0.name.isEmpty ? "\u{200B}" : $0.name, to: MessageLimits.fieldName),
                            value: MessageLimits.cut($0.value.isEmpty ? "\u{200B}" : $0.value, to: MessageLimits.fieldValue),
                            inline: $0.inline)
            }
        }
        return embed
    }
}

extension MessagePayload {
    /// This payload within Discord's limits: content ≤ 2,000, ≤ 10 embeds each within its limits, and ≤ 6,000
    /// characters across them (descriptions, then fields, are shortened from the last embed backwards).
    public func fittingLimits() -> MessagePayload {
        var payload = self
        payload.content = payload.content.map { MessageLimits.cut($0, to: MessageLimits.content) }
        guard var embeds = payload.embeds?.prefix(MessageLimits.embeds).map({ $0.fittingLimits() }) else { return payload }
        var excess = embeds.reduce(0) { $0 + $1.characterCount } - MessageLimits.embedTotal
        var index = embeds.count - 1
        while excess > 0, index >= 0 {
            if let description = embeds[index].description, !description.isEmpty {
                let length = MessageLimits.length(description)
                let keep = max(1, length - excess)
                let cut = MessageLimits.cut(description, to: keep)
                embeds[index].description = cut
                excess -= length - MessageLimits.length(cut)
            }
            while excess > 0, let fields = embeds[index].fields, fields.count > 1 {
                let dropped = fields[fields.count - 1]
                embeds[index].fields = Array(fields.dropLast())
                excess -= MessageLimits.length(dropped.name) + MessageLimits.length(dropped.value)
            }
            index -= 1
        }
        payload.embeds = embeds
        return payload
    }
}

extension InteractionResponse {
    /// The response within Discord's limits: its message part fitted, ≤ 25 choices of ≤ 100 characters.
    public func fittingLimits() -> InteractionResponse {
        guard var data = self.data else { return self }
        let message = MessagePayload(content: data.content, embeds: data.embeds).fittingLimits()
        data.content = message.content
        data.embeds = message.embeds
        if let choices = data.choices {
            data.choices = choices.prefix(25).map {
                ApplicationCommand.Choice(name: MessageLimits.cut($0.name, to: 100), value: $0.value)
            }
        }
        return InteractionResponse(type: self.type, data: data)
    }
}
