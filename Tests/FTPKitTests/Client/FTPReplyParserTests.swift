import Testing
import SeedTestSupport

@testable import FTPKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPReplyParserTests {
    func feed(_ lines: [String]) throws -> [FTPReply] {
        var p = FTPReplyParser()
        return try lines.compactMap { try p.feed($0) }
    }

    @Test func singleAndMultiLine() throws {
        #expect(try feed(["220 Welcome"]) == [FTPReply(220, "Welcome")])
        #expect(try feed(["211-Features:", " MDTM", " 211 is here", "211 End"])
            == [FTPReply(211, lines: ["Features:", "MDTM", "211 is here", "End"])])
        // A line starting with another code inside a multi-line reply does not end it.
        #expect(try feed(["230-Hello", "220 not the end", "230 Done"]).map(\.code) == [230])
        #expect(try feed(["200"]) == [FTPReply(200, "")])
        // A text that starts with a combining mark: the space after the code is still the separator (before, Swift
        // folded them into one Character and the reply was malformed; a multi-line reply never ended).
        #expect(try feed(["550 \u{301}x: No such file."]) == [FTPReply(550, "\u{301}x: No such file.")])
        #expect(try feed(["211-a", "211 \u{301}End"]) == [FTPReply(211, lines: ["a", "\u{301}End"])])
    }

    /// A reply built with no lines (or emptied afterwards) is one empty line on the wire, never a trap: before,
    /// `FTPReply(200, lines: [])` stopped the process on a precondition.
    @Test func aReplyWithoutLinesIsOneEmptyLine() throws {
        #expect(FTPReply(200, lines: []).encoded == "200 \r\n")
        var emptied = FTPReply(211, lines: ["a", "b"])
        emptied.lines = []
        #expect(emptied.encoded == "211 \r\n")
        #expect(try feed([String(FTPReply(200, lines: []).encoded.dropLast(2))]) == [FTPReply(200, "")])
    }

    @Test(arguments: ["", "abc", "99 x", "600 x", "2000 x", "20x x", "200/x"])
    func malformedLines(_ line: String) {
        var p = FTPReplyParser()
        #expect(throws: FTPReplyParser.Error.self) { try p.feed(line) }
    }

    @Test func truncationIsVisible() throws {
        var p = FTPReplyParser()
        _ = try p.feed("150-Opening")
        #expect(p.isInsideReply)
    }

    @Test func limitOnHugeReplies() throws {
        var p = FTPReplyParser(maxLines: 3)
        _ = try p.feed("211-a")
        _ = try p.feed("b")
        _ = try p.feed("c")
        #expect(throws: FTPReplyParser.Error.tooLong) { try p.feed("d") }
    }

    @Test func featuresAndQuotedPaths() {
        let f = FTPFeatures(reply: FTPReply(211, lines: ["Features:", "MDTM", "HASH SHA-256*;SHA-1;MD5", " MLST type*;size*;", "End"]))
        #expect(f.supports("mdtm") && f.supports("MLST") && !f.supports("AVBL"))
        #expect(f.hashAlgorithms == ["SHA-256", "SHA-1", "MD5"])
        #expect(FTPClient.quotedPath("\"/a \"\"b\"\"\" created") == "/a \"b\"")
        #expect(FTPClient.quotedPath("no quotes") == nil)
    }

    @Test func errorsSayWhetherToRetry() {
        #expect(FTPClientError(.replyError, "x", reply: FTPReply(421, "busy")).isTransient)
        #expect(!FTPClientError(.replyError, "x", reply: FTPReply(550, "no")).isTransient)
        #expect(FTPClientError(.timeout, "x").isTransient)
        #expect(FTPClientError(.connectionClosed, "x").connectionIsBroken)
        // A 421 ends the session, whatever it answered; a data connection lost before its 226 does not.
        #expect(FTPClientError(.connectionClosed, "closing", reply: FTPReply(421, "bye")).connectionIsBroken)
        #expect(!FTPClientError(.connectionClosed, "data lost", reply: FTPReply(426, "aborted")).connectionIsBroken)
        #expect(FTPClientError(.replyError, "refused", reply: FTPReply(550, "no such file"), command: "RETR x").description
            == "refused (RETR x → 550 no such file)")
    }
}
