/// A slash command definition, as registered with `PUT /applications/{id}/commands`.
public struct ApplicationCommand: Codable, Sendable, Hashable {
    /// An option's type (Discord's `ApplicationCommandOptionType`).
    public struct OptionType: DiscordIntEnum {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// A subcommand.
        public static let subCommand = OptionType(rawValue: 1)
        /// Text.
        public static let string = OptionType(rawValue: 3)
        /// A whole number.
        public static let integer = OptionType(rawValue: 4)
        /// True or false.
        public static let boolean = OptionType(rawValue: 5)
        /// A user.
        public static let user = OptionType(rawValue: 6)
        /// A channel.
        public static let channel = OptionType(rawValue: 7)
        /// A role.
        public static let role = OptionType(rawValue: 8)
        /// Any number.
        public static let number = OptionType(rawValue: 10)
        /// A file the user attaches.
        public static let attachment = OptionType(rawValue: 11)
    }

    /// A value offered for an option (fixed, or suggested by autocomplete).
    public struct Choice: Codable, Sendable, Hashable {
        /// What the user sees (at most 100 characters).
        public var name: String
        /// What the bot receives.
        public var value: JSONValue
        /// A choice of this name and value.
        public init(name: String, value: JSONValue) {
            self.name = name
            self.value = value
        }

        /// Discord refuses a whole autocomplete answer when one choice's name or string value is over 100 characters
        /// (code points, as ``MessageLimits`` counts them).
        public static let maximumLength = 100
        /// What ends a value that was cut to fit (``fitting(_:)``).
        public static let cutMark: Character = "…"

        /// A choice for `text` within Discord's limits: longer text is cut to 99 code points and `…`, in the name
        /// shown and in the value sent back; ``cutPrefix(_:)`` tells a handler to resolve such a value by its prefix.
        /// The cut is exact, by code point, so that the prefix is exactly what the text began with.
        public static func fitting(_ text: String) -> Choice {
            guard MessageLimits.length(text) > Self.maximumLength else { return Choice(name: text, value: .string(text)) }
            var fitted = String.UnicodeScalarView(text.unicodeScalars.prefix(Self.maximumLength - 1))
            fitted.append(Self.cutScalar)
            return Choice(name: String(fitted), value: .string(String(fitted)))
        }

        /// Whether `value` is a cut value from ``fitting(_:)`` (100 code points ending in `…`), and the prefix it
        /// stands for: the code points before the `…`, which may end inside a character (compare them as code
        /// points, not with `hasPrefix`).
        public static func cutPrefix(_ value: String) -> String? {
            let scalars = value.unicodeScalars
            guard scalars.count == Self.maximumLength, scalars.last == Self.cutScalar else { return nil }
            return String(String.UnicodeScalarView(scalars.dropLast()))
        }

        private static let cutScalar: Unicode.Scalar = "\u{2026}"
    }

    /// An option of a registered command.
    public struct Option: Codable, Sendable, Hashable {
        /// The option's type.
        public var type: OptionType
        /// The option's name (lower case, at most 32 characters).
        public var name: String
        public var description: String
        /// Whether it must be given.
        public var required: Bool?
        /// Whether Discord asks the bot for suggestions as it is typed.
        public var autocomplete: Bool?
        /// The only values allowed, when fixed.
        public var choices: [Choice]?

        /// An option; see each property.
        public init(
            type: OptionType, name: String, description: String, required: Bool? = nil, autocomplete: Bool? = nil,
            choices: [Choice]? = nil
        ) {
            self.type = type
            self.name = name
            self.description = description
            self.required = required
            self.autocomplete = autocomplete
            self.choices = choices
        }
    }

    /// Discord's id, once registered.
    public var id: Snowflake?
    /// The command's name (`upload` for `/upload`).
    public var name: String
    public var description: String
    /// Its options.
    public var options: [Option]?
    /// 1 = chat input (slash).
    public var type: Int?

    /// A command to register (`type` 1: a slash command).
    public init(id: Snowflake? = nil, name: String, description: String, options: [Option]? = nil, type: Int? = 1) {
        self.id = id
        self.name = name
        self.description = description
        self.options = options
        self.type = type
    }
}
