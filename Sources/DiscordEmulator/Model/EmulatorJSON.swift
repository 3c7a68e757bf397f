public import Foundation

/// A JSON value as the emulator stores and sends it. The emulator keeps Discord's objects in their wire form
/// (what Discord documents), not in any client's models, so a client's misreading of a field cannot be mirrored.
public enum EmulatorJSON: Sendable, Hashable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([EmulatorJSON])
    case object([String: EmulatorJSON])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([EmulatorJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: EmulatorJSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let v): try container.encode(v)
        case .int(let v): try container.encode(v)
        case .double(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        }
    }

    /// Parses a JSON document; throws on anything that is not JSON.
    public init(parsing data: Data) throws {
        self = try JSONDecoder().decode(EmulatorJSON.self, from: data)
    }

    /// Compact JSON bytes.
    public func serialized() -> Data {
        (try? JSONEncoder().encode(self)) ?? Data("null".utf8)
    }

    /// Compact JSON text.
    public var text: String { String(decoding: self.serialized(), as: UTF8.self) }
    public var description: String { self.text }

    /// The member `key` of an object.
    public subscript(key: String) -> EmulatorJSON? {
        get {
            guard case .object(let fields) = self else { return nil }
            return fields[key]
        }
        set {
            guard case .object(var fields) = self else { return }
            fields[key] = newValue
            self = .object(fields)
        }
    }

    /// The element at `index` of an array.
    public subscript(index: Int) -> EmulatorJSON? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    /// The string, when this is one.
    public var string: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    /// The integer, when this is one (a whole double counts).
    public var int: Int? {
        switch self {
        case .int(let v): v
        case .double(let v) where v.rounded() == v: Int(exactly: v)
        default: nil
        }
    }

    /// The number, when this is one.
    public var double: Double? {
        switch self {
        case .int(let v): Double(v)
        case .double(let v): v
        default: nil
        }
    }

    /// The boolean, when this is one.
    public var bool: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    /// The elements, when this is an array.
    public var array: [EmulatorJSON]? {
        if case .array(let v) = self { return v }
        return nil
    }

    /// The members, when this is an object.
    public var object: [String: EmulatorJSON]? {
        if case .object(let v) = self { return v }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool { self == .null }

    /// An ID field: Discord sends snowflakes as strings, but accepts numbers in requests.
    public var id: String? {
        switch self {
        case .string(let v): v
        case .int(let v): String(v)
        default: nil
        }
    }
}

extension EmulatorJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: EmulatorJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, EmulatorJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension EmulatorJSON {
    /// `.string(value)` or `.null`.
    static func optional(_ value: String?) -> EmulatorJSON { value.map(EmulatorJSON.string) ?? .null }
}
