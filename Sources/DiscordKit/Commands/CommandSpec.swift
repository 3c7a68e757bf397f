/// A command served both as a prefix command (`!name args`) and as a slash command (`/name`), with one handler.
public struct CommandSpec: Sendable, Hashable {
    /// One option of a slash command (an argument of the prefix form).
    public struct Option: Sendable, Hashable {
        /// The option's type.
        public enum Kind: Sendable, Hashable {
            /// `number`: any double (`1.5`), where `integer` takes whole numbers only.
            case string, integer, number, boolean, attachment

            var optionType: ApplicationCommand.OptionType {
                switch self {
                case .string: .string
                case .integer: .integer
                case .number: .number
                case .boolean: .boolean
                case .attachment: .attachment
                }
            }
        }

        /// The option's name (lower case, at most 32 characters).
        public var name: String
        /// What Discord shows under it (at most 100 characters).
        public var description: String
        /// The option's type.
        public var kind: Kind
        /// Whether it must be given.
        public var required: Bool
        /// Whether Discord asks the bot for suggestions as it is typed.
        public var autocomplete: Bool
        /// For prefix commands: this option takes every remaining word (a name with spaces, a filter).
        public var takesRest: Bool

        /// An option; see each property.
        public init(
            _ name: String, _ description: String, kind: Kind = .string, required: Bool = false,
            autocomplete: Bool = false, takesRest: Bool = false
        ) {
            self.name = name
            self.description = description
            self.kind = kind
            self.required = required
            self.autocomplete = autocomplete
            self.takesRest = takesRest
        }
    }

    /// Lower-case, as typed after the prefix and as registered for the slash command.
    public var name: String
    /// More prefix names for the same command (`listar` for `list`); not registered as slash commands.
    public var aliases: [String]
    public var description: String
    /// In order: prefix arguments fill the non-attachment options in this order.
    public var options: [Option]

    /// A command named `name` (also run by `aliases` as prefix commands) with these options.
    public init(_ name: String, aliases: [String] = [], description: String, options: [Option] = []) {
        self.name = name
        self.aliases = aliases
        self.description = description
        self.options = options
    }

    /// The slash command to register with Discord.
    public var applicationCommand: ApplicationCommand {
        ApplicationCommand(
            name: self.name, description: MessageLimits.cut(self.description, to: 100),
            options: self.options.isEmpty ? nil : self.options.map {
                ApplicationCommand.Option(
                    type: $0.kind.optionType, name: $0.name, description: MessageLimits.cut($0.description, to: 100),
                    required: $0.required, autocomplete: $0.autocomplete ? true : nil)
            })
    }

    /// `!download NAME [DEST]`-style usage for error messages.
    public func usage(prefix: String) -> String {
        let args = self.options.filter { $0.kind != .attachment }.map {
            $0.required ? $0.name.uppercased() : "[\($0.name.uppercased())]"
        }
        return ([prefix + self.name] + args).joined(separator: " ")
    }
}
