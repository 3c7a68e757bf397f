import Balancer
import Testing
import SeedTestSupport

/// The cluster's name rules, at the level of scalars and bytes that the file systems behind the nodes see.
@Suite(.tags(.unit), .inTestSet(.unit)) struct FileNamesTests {
    @Test func slashesAndDotsHiddenInGraphemesAreCaught() {
        // "/" followed by a combining mark is one Character in Swift, but a separator on disk.
        #expect(!FileNames.isValid("a/\u{301}b"))
        #expect(FileNames.clean("a/\u{301}b") == "a_\u{301}b")
        #expect(!FileNames.isValid(".\u{301}hidden"))
        #expect(FileNames.clean(".\u{301}x") == "\u{301}x")
        #expect(FileNames.clean("../../etc/passwd") == "_.._etc_passwd")
        #expect(FileNames.clean("a\u{0}b\u{7F}c") == "abc")
        #expect(FileNames.clean(" . ") == nil)
    }

    @Test func namesAreLimitedTo255Bytes() {
        let long = String(repeating: "é", count: 200)  // 400 bytes in UTF-8
        #expect(!FileNames.isValid(long))
        let cleaned = FileNames.clean(long)
        #expect(cleaned?.utf8.count == 254, "cut between scalars, never inside one")
        #expect(cleaned.map(FileNames.isValid) == true)
        #expect(FileNames.isValid(String(repeating: "a", count: 255)))
        #expect(!FileNames.isValid(String(repeating: "a", count: 256)))
        // The cut can land after a space: it goes too, as trailing spaces always do (cleaning twice changes nothing).
        let spaced = FileNames.clean(String(repeating: "a", count: 254) + " b")
        #expect(spaced == String(repeating: "a", count: 254))
        #expect(spaced.flatMap(FileNames.clean) == spaced)
    }
}
