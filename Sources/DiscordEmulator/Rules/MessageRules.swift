/// What Discord checks in a message body (create, edit, interaction answers and follow-ups).
enum MessageRules {
    /// Problems with `payload` (a message create/edit body, or an interaction callback's `data`).
    static func validate(_ payload: EmulatorJSON, prefix: [String] = []) -> FormError {
        var form = FormError()
        form.checkLength(payload["content"]?.string, max: DiscordRules.contentLength, at: prefix + ["content"])
        let embeds = payload["embeds"]?.array ?? []
        form.checkCount(embeds.count, max: DiscordRules.embedsPerMessage, at: prefix + ["embeds"])
        var total = 0
        for (i, embed) in embeds.enumerated() {
            let at = prefix + ["embeds", String(i)]
            form.checkLength(embed["title"]?.string, max: DiscordRules.embedTitle, at: at + ["title"])
            form.checkLength(embed["description"]?.string, max: DiscordRules.embedDescription, at: at + ["description"])
            form.checkLength(embed["footer"]?["text"]?.string, max: DiscordRules.embedFooterText, at: at + ["footer", "text"])
            form.checkLength(embed["author"]?["name"]?.string, max: DiscordRules.embedAuthorName, at: at + ["author", "name"])
            let fields = embed["fields"]?.array ?? []
            form.checkCount(fields.count, max: DiscordRules.embedFields, at: at + ["fields"])
            for (j, field) in fields.enumerated() {
                let fat = at + ["fields", String(j)]
                if field["name"]?.string == nil { form.add(fat + ["name"], "BASE_TYPE_REQUIRED", "This field is required") }
                if field["value"]?.string == nil { form.add(fat + ["value"], "BASE_TYPE_REQUIRED", "This field is required") }
                form.checkLength(field["name"]?.string, max: DiscordRules.embedFieldName, at: fat + ["name"])
                form.checkLength(field["value"]?.string, max: DiscordRules.embedFieldValue, at: fat + ["value"])
                total += FormError.length(field["name"]?.string) + FormError.length(field["value"]?.string)
            }
            total += FormError.length(embed["title"]?.string) + FormError.length(embed["description"]?.string)
                + FormError.length(embed["footer"]?["text"]?.string) + FormError.length(embed["author"]?["name"]?.string)
        }
        if total > DiscordRules.embedTotal {
            form.add(prefix + ["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
        }
        let rows = payload["components"]?.array ?? []
        form.checkCount(rows.count, max: DiscordRules.actionRowsPerMessage, at: prefix + ["components"])
        for (i, row) in rows.enumerated() {
            let items = row["components"]?.array ?? []
            let at = prefix + ["components", String(i), "components"]
            form.checkCount(items.count, max: DiscordRules.componentsPerRow, at: at)
            for (j, item) in items.enumerated() {
                form.checkLength(item["custom_id"]?.string, max: DiscordRules.customIDLength, at: at + [String(j), "custom_id"])
                form.checkLength(item["label"]?.string, max: DiscordRules.buttonLabelLength, at: at + [String(j), "label"])
            }
        }
        return form
    }

    /// A message with nothing to show is refused (code 50006).
    static func isEmpty(_ payload: EmulatorJSON, files: Int) -> Bool {
        (payload["content"]?.string ?? "").isEmpty && (payload["embeds"]?.array ?? []).isEmpty && files == 0
            && (payload["components"]?.array ?? []).isEmpty && (payload["sticker_ids"]?.array ?? []).isEmpty
    }

    /// Autocomplete answers: ≤ 25 choices, names 1–100 characters, string values ≤ 100.
    static func validateChoices(_ data: EmulatorJSON?) -> FormError {
        var form = FormError()
        let choices = data?["choices"]?.array ?? []
        form.checkCount(choices.count, max: DiscordRules.choicesPerOption, at: ["data", "choices"])
        for (i, choice) in choices.enumerated() {
            let at = ["data", "choices", String(i)]
            form.checkLength(choice["name"]?.string ?? "", max: DiscordRules.choiceNameLength, at: at + ["name"], min: 1)
            form.checkLength(choice["value"]?.string, max: DiscordRules.choiceStringValueLength, at: at + ["value"])
        }
        return form
    }
}
