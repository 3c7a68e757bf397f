import Foundation
import Testing
import SeedTestSupport

@testable import FTPKit

/// Hand-written configuration and users files: a syntax mistake is reported with its line and column, as an editor
/// shows them, not as the decoder's "The given data was not valid JSON."
@Suite(.tags(.unit), .inTestSet(.unit), .timeLimit(.minutes(1))) struct JSONSyntaxTests {
    func problem(_ text: String) -> String? { JSONSyntax.problem(in: Data(text.utf8)) }

    @Test func aMistakeIsPlacedByLineAndColumn() {
        // "tru" ends where the parser stops: line 3, after the three letters and the indent.
        let found = self.problem("{\n  \"port\": 21,\n  \"anonymous\": tru\n}")
        #expect(found?.hasPrefix("not valid JSON: ") == true, "\(found ?? "nil")")
        #expect(found?.contains("at line 3, column ") == true, "\(found ?? "nil")")
        // A stray character on the first line.
        let stray = self.problem(#"{"port": 21 x}"#)
        #expect(stray?.contains("at line 1, column ") == true, "\(stray ?? "nil")")
    }

    @Test func theCommonMistakesEachGetTheirOwnSentence() {
        #expect(self.problem(#"{"port": 21,"#) == "not valid JSON: it ends too early (an unclosed '{', '[' or string?)")
        #expect(self.problem("") == "empty")
        #expect(self.problem(" \n\t") == "empty")
        #expect(self.problem(#"{"port": 21}"#) == nil)
        #expect(self.problem("[1, 2]") == nil)
        // A missing comma between two lines, the most common hand-editing slip, is placed on the second line.
        let missing = self.problem("{\n\"a\": 1\n\"b\": 2\n}")
        #expect(missing?.contains("at line 3, column ") == true, "\(missing ?? "nil")")
    }

    @Test func columnsCountCharactersNotBytes() {
        // "é" is two bytes: the byte after it is the third, but the column after it is the second.
        let data = Data("x\néz".utf8)
        #expect(JSONSyntax.lineAndColumn(ofByte: 4, in: data) == (2, 2))
        #expect(JSONSyntax.lineAndColumn(ofByte: 0, in: data) == (1, 1))
        #expect(JSONSyntax.lineAndColumn(ofByte: 2, in: data) == (2, 1))
        // An offset past the end (a parser that stops at the end) stays on the last line.
        #expect(JSONSyntax.lineAndColumn(ofByte: 99, in: data) == (2, 3))
        // The parser's wording is kept as the reason when it names a place.
        #expect(JSONSyntax.describe(detail: "Invalid value around character 2.", in: data)
            == "not valid JSON: invalid value at line 2, column 1")
        #expect(JSONSyntax.describe(detail: "Something new", in: data) == "not valid JSON")
    }

    private struct Settings: Decodable {
        struct Node: Decodable { var port: Int }
        var replicas: Int?
        var hours: Double?
        var nodes: [Node]?
    }

    private func misfit(_ text: String) -> String? {
        JSONNumberMisfit.find(decoding: Settings.self, in: Data(text.utf8)).map { "\($0.path): \($0.problem)" }
    }

    /// JSONDecoder refuses `1.5` or `1e30` in an integer field as "not valid JSON", without a place: the number
    /// is named instead, and numbers fields may hold (a fraction in a Double field) are left alone.
    @Test func aNumberItsFieldCannotHoldIsNamed() {
        #expect(self.misfit(#"{"replicas": 1.5}"#) == "replicas: 1.5 is not a whole number")
        #expect(self.misfit(#"{"hours": 2.5, "replicas": 99999999999999999999}"#)?.hasPrefix("replicas: ") == true)
        #expect(self.misfit(#"{"hours": 2.5, "replicas": 99999999999999999999}"#)?.hasSuffix(" is out of range") == true)
        #expect(self.misfit(#"{"hours": 2.5, "nodes": [{"port": 21}, {"port": 21.5}]}"#) == "nodes[1].port: 21.5 is not a whole number")
        // Two misfits: the first (in key order) is named.
        #expect(self.misfit(#"{"replicas": 1.5, "nodes": [{"port": 2.5}]}"#) == "nodes[0].port: 2.5 is not a whole number")
        // Nothing to name: a document that decodes, one whose trouble is not a number, or one that does not parse.
        #expect(self.misfit(#"{"hours": 2.5}"#) == nil)
        #expect(self.misfit(#"{"replicas": "two", "hours": 0.5}"#) == nil)
        #expect(self.misfit(#"{"replicas": 1.5"#) == nil)
        // More candidates than a hand-edited file has are not searched (each costs a decode of the whole file).
        let many = (0...JSONNumberMisfit.maximumCandidates).map { #"{"port": \#($0).5}"# }.joined(separator: ",")
        #expect(self.misfit(#"{"replicas": 1.5, "nodes": [\#(many)]}"#) == nil)
        // A number too large for any type is a syntax problem, placed.
        #expect(self.problem(#"{"hours": 1e400}"#) == "not valid JSON: the number 1e400 is out of range at line 1, column 11")
    }
}
