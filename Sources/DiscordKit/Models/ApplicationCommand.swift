/// A slash command definition, as registered with `PUT /applications/{id}/commands`.
public struct ApplicationCommand: Codable, Sendable, Hashable {
    public struct OptionType: DiscordIntEnum {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let subCommand = OptionType(rawValue: 1)
        public static let string = OptionType(rawValue: 3)
        public static let integer = OptionType(rawValue: 4)
        public static let boolean = OptionType(rawValue: 5)
        public static let user = OptionType(rawValue: 6)
        public static let channel = OptionType(rawValue: 7)
        public static let role = OptionType(rawValue: 8)
        public static let number = OptionType(rawValue: 10)
        public static let attachment = OptionType(rawValue: 11)
    }

    public struct Choice: Codable, Sendable, Hashable {
        public var name: String
        public var value: JSONValue
        public init(name: String, value: JSONValue) {
            self.name = name
            self.value = value
        }

        /// Discord refuses a whole autocomplete answer when one choice's name or string value is over 100 characters.
        public static let maximumLength = 100
        /// What ends a value that was cut to fit (``fitting(_:)``).
        public static let cutMark: Character = "…"

        /// A choice for `text` within Discord's limits: longer text is cut to 99 characters and `…`, in the name
        /// shown and in the value sent back; ``isCut(_:)`` tells a handler to resolve such a value by its prefix.
        public static func fitting(_ text: String) -> Choice {
            let fitted = text.count <= Self.maximumLength ? text : String(text.prefix(Self.maximumLength - 1)) + String(Self.cutMark)
            return Choice(name: fitted, value: .string(fitted))
        }

        /// Whether `value` is a cut value from ``fitting(_:)`` (100 characters ending in `…`), and the prefix it stands for.
        public static func cutPrefix(_ value: String) -> String? {
            guard value.count == Self.maximumLength, value.last == Self.cutMark else { return nil }
            return String(value.dropLast())
        }
    }

    public struct Option: Codable, Sendable, Hashable {
        public var type: OptionType
        public var name: String
        public var description: String
        public var required: Bool?
        public var autocomplete: Bool?
        public var choices: [Choice]?

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

    public var id: Snowflake?
    public var name: String
    public var description: String
    public var options: [Option]?
    /// 1 = chat input (slash).
    public var type: Int?

    public init(id: Snowflake? = nil, name: String, description: String, options: [Option]? = nil, type: Int? = 1) {
        self.id = id
        self.name = name
        self.description = description
        self.options = options
        self.type = type
    }
}
