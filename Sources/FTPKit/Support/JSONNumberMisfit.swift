package import Foundation

/// A number in a hand-written JSON file that its field cannot hold: `1.5` or `1e30` where a whole number goes.
///
/// swift-foundation's `JSONDecoder` refuses such a document as "The given data was not valid JSON." with no coding
/// path, so the person editing the file is told their valid JSON is broken and not where. ``find(in:isRefused:)``
/// names the number instead: it parses the document, takes every number that is not a whole number within
/// `Int`'s range, and asks the caller's decoder again with all the others set to 0. The first one that is refused on
/// its own is the one to fix.
package struct JSONNumberMisfit: Sendable, Hashable {
    /// Where it is: `replicas`, `http.linkLifetime`, `nodes[0].port`.
    package var path: String
    /// The number as read (`1.5`, `1e+30`).
    package var text: String
    /// Whether it is whole but out of range (else it has a fraction).
    package var isWhole: Bool

    /// What is wrong with it, as a phrase after its path: "1.5 is not a whole number".
    package var problem: String {
        self.isWhole ? "\(self.text) is out of range" : "\(self.text) is not a whole number"
    }

    static let maximumCandidates = 64

    private enum Step: Hashable {
        case key(String)
        case index(Int)
    }

    /// The misfit number of `data`, or `nil` when the document does not parse, has no such number, or is refused
    /// for something else too. `isRefused` decodes a document and says whether it fails the same placeless way.
    package static func find(in data: Data, isRefused: (Data) -> Bool) -> JSONNumberMisfit? {
        guard let root = try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed) else { return nil }
        var candidates: [(steps: [Step], number: NSNumber)] = []
        Self.collect(root, at: [], into: &candidates)
        // Each candidate costs a decode of the whole document: a file with more of them than a hand-edited one has
        // is not searched (its error then stays the decoder's).
        guard !candidates.isEmpty, candidates.count <= Self.maximumCandidates else { return nil }
        func document(zeroing zeroed: [[Step]]) -> Data? {
            var value = root
            for steps in zeroed { value = Self.replacing(value, at: steps[...], with: 0) }
            return try? JSONSerialization.data(withJSONObject: value, options: .fragmentsAllowed)
        }
        // Every candidate set to 0 must cure the document, or its trouble is not (only) a number.
        guard let cured = document(zeroing: candidates.map(\.steps)), !isRefused(cured) else { return nil }
        for (i, candidate) in candidates.enumerated() {
            let others = candidates.indices.filter { $0 != i }.map { candidates[$0].steps }
            guard let alone = document(zeroing: others), isRefused(alone) else { continue }
            let value = candidate.number.doubleValue
            return JSONNumberMisfit(
                path: Self.describe(candidate.steps), text: "\(candidate.number)",
                isWhole: value.isFinite && value == value.rounded())
        }
        return nil
    }

    /// The misfit number of `data` for `JSONDecoder` decoding `type`, which must have refused `data` without a place.
    package static func find<T: Decodable>(decoding type: T.Type, in data: Data) -> JSONNumberMisfit? {
        Self.find(in: data) { candidate in
            do {
                _ = try JSONDecoder().decode(T.self, from: candidate)
                return false
            } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
                return true
            } catch {
                return false
            }
        }
    }

    /// Numbers an integer field cannot take, in document order (object keys sorted: JSONSerialization keeps none).
    private static func collect(_ value: Any, at steps: [Step], into found: inout [(steps: [Step], number: NSNumber)]) {
        switch value {
        case let object as [String: Any]:
            for key in object.keys.sorted() { Self.collect(object[key]!, at: steps + [.key(key)], into: &found) }
        case let array as [Any]:
            for (i, element) in array.enumerated() { Self.collect(element, at: steps + [.index(i)], into: &found) }
        case let number as NSNumber:
            let v = number.doubleValue
            if !v.isFinite || v != v.rounded() || abs(v) >= 9.2e18 { found.append((steps, number)) }
        default:
            break
        }
    }

    private static func replacing(_ value: Any, at steps: ArraySlice<Step>, with replacement: Any) -> Any {
        guard let step = steps.first else { return replacement }
        switch (step, value) {
        case (.key(let key), var object as [String: Any]):
            if let inner = object[key] { object[key] = Self.replacing(inner, at: steps.dropFirst(), with: replacement) }
            return object
        case (.index(let i), var array as [Any]) where array.indices.contains(i):
            array[i] = Self.replacing(array[i], at: steps.dropFirst(), with: replacement)
            return array
        default:
            return value
        }
    }

    private static func describe(_ steps: [Step]) -> String {
        var out = ""
        for step in steps {
            switch step {
            case .key(let key): out += out.isEmpty ? key : "." + key
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }
}
