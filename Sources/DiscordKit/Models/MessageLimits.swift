/// Discord's limits on what a message may carry. A message over any of them is refused whole (400, code
/// 50035), so every message DiscordKit sends is first fitted here, in one place: text is cut with `…`, and what
/// cannot be cut (embeds past 10, fields past 25) is dropped, with a note where the reader would miss it.
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

    /// `text` cut to `limit` characters, the last one `…` when anything was cut.
    public static func cut(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(max(0, limit - 1))) + "…"
    }
}

extension Embed {
    var characterCount: Int {
        (self.title?.count ?? 0) + (self.description?.count ?? 0) + (self.footer?.text.count ?? 0)
            + (self.fields ?? []).reduce(0) { $0 + $1.name.count + $1.value.count }
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
                let keep = max(1, description.count - excess)
                embeds[index].description = MessageLimits.cut(description, to: keep)
                excess -= description.count - embeds[index].description!.count
            }
            while excess > 0, let fields = embeds[index].fields, fields.count > 1 {
                let dropped = fields[fields.count - 1]
                embeds[index].fields = Array(fields.dropLast())
                excess -= dropped.name.count + dropped.value.count
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
