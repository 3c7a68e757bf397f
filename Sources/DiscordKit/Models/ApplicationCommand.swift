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
