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
}
