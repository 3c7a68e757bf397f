/// Discord's "Invalid Form Body" (HTTP 400, code 50035): every problem under its JSON path, as
/// `{"code": 50035, "errors": {"content": {"_errors": [{"code": …, "message": …}]}}, "message": "Invalid Form Body"}`.
struct FormError: Sendable {
    struct Problem: Sendable {
        var path: [String]
        var code: String
        var message: String
    }

    var problems: [Problem] = []

    var isEmpty: Bool { self.problems.isEmpty }

    mutating func add(_ path: [String], _ code: String, _ message: String) {
        self.problems.append(Problem(path: path, code: code, message: message))
    }

    /// A string longer than `limit` characters. Discord counts Unicode code points, as Python 3's `len` does (its
    /// staff in discord-api-docs#1315: "the API calculates length based on the number of codepoints"), so `e`
    /// followed by a combining accent is two, however it is drawn.
    mutating func checkLength(_ value: String?, max limit: Int, at path: [String], min: Int = 0) {
        guard let value else { return }
        let length = Self.length(value)
        if length > limit {
            self.add(path, "BASE_TYPE_MAX_LENGTH", "Must be \(limit) or fewer in length.")
        } else if length < min {
            self.add(path, "BASE_TYPE_BAD_LENGTH", "Must be between \(min) and \(limit) in length.")
        }
    }

    /// How Discord measures a string against a limit: code points.
    static func length(_ value: String?) -> Int { value?.unicodeScalars.count ?? 0 }

    mutating func checkCount(_ count: Int, max limit: Int, at path: [String]) {
        if count > limit { self.add(path, "BASE_TYPE_MAX_LENGTH", "Must be \(limit) or fewer in length.") }
    }

    var body: EmulatorJSON {
        var errors: EmulatorJSON = [:]
        for problem in self.problems {
            errors = Self.insert(problem, into: errors, at: problem.path[...])
        }
        return ["code": 50035, "errors": errors, "message": "Invalid Form Body"]
    }

    private static func insert(_ problem: Problem, into node: EmulatorJSON, at path: ArraySlice<String>) -> EmulatorJSON {
        var node = node
        guard let head = path.first else {
            var list = node["_errors"]?.array ?? []
            list.append(["code": .string(problem.code), "message": .string(problem.message)])
            node["_errors"] = .array(list)
            return node
        }
        node[head] = self.insert(problem, into: node[head] ?? [:], at: path.dropFirst())
        return node
    }
}
