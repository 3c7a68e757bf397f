/// What Discord checks when a bot registers application commands (bulk overwrite).
enum CommandRules {
    static func validate(_ commands: EmulatorJSON) -> FormError {
        var form = FormError()
        guard let list = commands.array else {
            form.add([], "BASE_TYPE_ARRAY", "Must be an array.")
            return form
        }
        var seen: Set<String> = []
        for (i, command) in list.enumerated() {
            let at = [String(i)]
            let type = command["type"]?.int ?? 1
            let name = command["name"]?.string ?? ""
            if !self.isValidName(name, chatInput: type == 1) {
                form.add(at + ["name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            }
            if !seen.insert("\(type):\(name)").inserted {
                form.add(at + ["name"], "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
            }
            if type == 1 {
                form.checkLength(command["description"]?.string ?? "", max: DiscordRules.commandDescriptionLength,
                                 at: at + ["description"], min: 1)
            }
            self.validateOptions(command["options"]?.array ?? [], at: at + ["options"], into: &form)
        }
        return form
    }

    private static func validateOptions(_ options: [EmulatorJSON], at: [String], into form: inout FormError) {
        form.checkCount(options.count, max: DiscordRules.optionsPerCommand, at: at)
        var sawOptional = false
        for (j, option) in options.enumerated() {
            let oat = at + [String(j)]
            let type = option["type"]?.int ?? 0
            if !(1...11).contains(type) { form.add(oat + ["type"], "BASE_TYPE_CHOICES", "Value must be one of 1…11.") }
            if !self.isValidName(option["name"]?.string ?? "", chatInput: true) {
                form.add(oat + ["name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            }
            form.checkLength(option["description"]?.string ?? "", max: DiscordRules.commandDescriptionLength,
                             at: oat + ["description"], min: 1)
            let required = option["required"]?.bool ?? false
            if required, sawOptional {
                form.add(oat + ["required"], "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                         "Required options must be placed before non-required options")
            }
            if !required { sawOptional = true }
            let choices = option["choices"]?.array ?? []
            form.checkCount(choices.count, max: DiscordRules.choicesPerOption, at: oat + ["choices"])
            if !choices.isEmpty, option["autocomplete"]?.bool == true {
                form.add(oat + ["autocomplete"], "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                         "Autocomplete cannot be set with choices")
            }
            if type == 1 || type == 2 {
                self.validateOptions(option["options"]?.array ?? [], at: oat + ["options"], into: &form)
            }
        }
    }

    /// `^[-_\p{L}\p{N}]{1,32}$`, lower case where the letter has a lower case (chat input commands and options).
    static func isValidName(_ name: String, chatInput: Bool) -> Bool {
        guard (1...DiscordRules.commandNameLength).contains(FormError.length(name)) else { return false }
        guard chatInput else { return true }
        for scalar in name.unicodeScalars {
            let ok = scalar == "-" || scalar == "_" || scalar.properties.isAlphabetic
                || scalar.properties.numericType != nil
            if !ok { return false }
            if scalar.properties.isUppercase { return false }
        }
        return true
    }

    /// Whether a user's client could send `value` for an option of `type` (Discord's option types): text for a
    /// string (3), a whole number within ±2^53 for an integer (4), a boolean (5), an id for a user, channel, role or
    /// mentionable (6–9), any finite number for a number (10).
    static func optionValue(_ value: EmulatorJSON, fits type: Int) -> Bool {
        switch (type, value) {
        case (3, .string): true
        case (4, .int(let i)): abs(i) <= 1 << 53
        case (5, .bool): true
        case (6...9, .string(let id)): !id.isEmpty && id.allSatisfy { $0.isASCII && $0.isNumber }
        case (10, .int(let i)): abs(i) <= 1 << 53
        case (10, .double(let d)): d.isFinite
        default: false
        }
    }
}
