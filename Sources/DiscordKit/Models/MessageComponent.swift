/// Message components: action rows holding buttons (the only kinds this SDK builds).
public struct MessageComponent: Codable, Sendable, Hashable {
    /// The component's type.
    public struct Kind: DiscordIntEnum {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// A row holding up to five buttons.
        public static let actionRow = Kind(rawValue: 1)
        /// A button.
        public static let button = Kind(rawValue: 2)
    }

    /// A button's colour.
    public struct ButtonStyle: DiscordIntEnum {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Blurple.
        public static let primary = ButtonStyle(rawValue: 1)
        /// Grey.
        public static let secondary = ButtonStyle(rawValue: 2)
        /// Green.
        public static let success = ButtonStyle(rawValue: 3)
        /// Red.
        public static let danger = ButtonStyle(rawValue: 4)
    }

    /// Row or button.
    public var type: Kind
    /// A row's buttons.
    public var components: [MessageComponent]?
    /// A button's colour.
    public var style: ButtonStyle?
    /// A button's text (at most 80 characters).
    public var label: String?
    /// A button's id, sent back when it is pressed (at most 100 characters).
    public var customID: String?
    /// Whether a button is greyed out.
    public var disabled: Bool?

    /// A component; see each property (or use ``row(_:)`` and ``button(_:id:style:)``).
    public init(
        type: Kind, components: [MessageComponent]? = nil, style: ButtonStyle? = nil, label: String? = nil,
        customID: String? = nil, disabled: Bool? = nil
    ) {
        self.type = type
        self.components = components
        self.style = style
        self.label = label
        self.customID = customID
        self.disabled = disabled
    }

    /// A row of these buttons.
    public static func row(_ components: [MessageComponent]) -> MessageComponent {
        MessageComponent(type: .actionRow, components: components)
    }

    /// A button labelled `label` whose presses come back with `id`.
    public static func button(_ label: String, id: String, style: ButtonStyle = .secondary) -> MessageComponent {
        MessageComponent(type: .button, style: style, label: label, customID: id)
    }

    enum CodingKeys: String, CodingKey {
        case type, components, style, label, disabled
        case customID = "custom_id"
    }
}
