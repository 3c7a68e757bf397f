import Testing
import SeedTestSupport

@testable import FTPKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPCommandParserTests {
    func parse(_ s: String) -> Result<FTPCommand, FTPCommandParseError> { FTPCommandParser.parse(Array(s.utf8)) }

    @Test func verbIsUppercasedAndArgumentKeptVerbatim() throws {
        let c = try parse("stor  two spaces ").get()
        #expect(c.verb == "STOR")
        #expect(c.argument == " two spaces ")
    }

    /// An argument that starts with a combining mark: the space before it still ends the verb (before, Swift folded
    /// the two into one Character and `STOR \u{301}x` was refused as an unknown verb, so such a file could be
    /// neither stored nor fetched).
    @Test func anArgumentMayStartWithACombiningMark() throws {
        #expect(try parse("STOR \u{301}x").get() == FTPCommand(verb: "STOR", argument: "\u{301}x"))
        #expect(try parse("  retr \u{301}").get() == FTPCommand(verb: "RETR", argument: "\u{301}"))
        #expect(parse("ST\u{301}OR x") == .failure(.invalidVerb))
    }

    @Test func commandWithoutArgument() throws {
        #expect(try parse("PWD").get() == FTPCommand(verb: "PWD"))
    }

    @Test(arguments: ["", "   ", "\t"])
    func emptyLines(_ line: String) {
        #expect(parse(line) == .failure(.empty))
    }

    @Test func nulByteIsRejected() {
        #expect(FTPCommandParser.parse([0x52, 0x45, 0x54, 0x52, 0x20, 0x61, 0x00, 0x62]) == .failure(.containsNUL))
    }

    @Test func invalidUTF8IsRejected() {
        #expect(FTPCommandParser.parse([0x52, 0x45, 0x54, 0x52, 0x20, 0xC3, 0x28]) == .failure(.invalidEncoding))
    }

    @Test(arguments: ["12345", "RE-TR x", "VERYLONGVERB x", "ÜBER x", "/etc/passwd"])
    func invalidVerbs(_ line: String) {
        #expect(parse(line) == .failure(.invalidVerb))
    }

    @Test func telnetInterruptBeforeAbortIsStripped() throws {
        // IAC IP IAC DM ABOR, as RFC 959 clients send it.
        let c = try FTPCommandParser.parse([0xFF, 0xF4, 0xFF, 0xF2] + Array("ABOR".utf8)).get()
        #expect(c.verb == "ABOR")
    }

    @Test func telnetCommandsAreStrippedAndNothingElse() throws {
        func parsed(_ bytes: [UInt8]) -> Result<FTPCommand, FTPCommandParseError> { FTPCommandParser.parse(bytes) }
        // IAC NOP, IAC DO ECHO (three bytes), and IAC IAC (a data byte 0xFF, which UTF-8 never holds).
        #expect(try parsed([0xFF, 0xF1] + Array("NOOP".utf8)).get().verb == "NOOP")
        #expect(try parsed([0xFF, 0xFD, 0x01] + Array("NOOP".utf8)).get().verb == "NOOP")
        #expect(parsed(Array("DELE a".utf8) + [0xFF, 0xFF] + Array(".txt".utf8)) == .failure(.invalidEncoding))
        // A name sent in Latin-1: `ÿ` is 0xFF, and what follows it is no Telnet command. The command is refused; it
        // used to lose both bytes and name another file (`a\xFF.txt` read as `atxt`).
        #expect(parsed(Array("DELE a".utf8) + [0xFF] + Array(".txt".utf8)) == .failure(.invalidEncoding))
        #expect(parsed(Array("DELE a".utf8) + [0xFF]) == .failure(.invalidEncoding))
    }

    @Test func utf8PathsSurvive() throws {
        let c = try parse("RETR ünïcødé file 名前.txt").get()
        #expect(c.argument == "ünïcødé file 名前.txt")
    }

    @Test func passwordIsNeverDescribed() throws {
        #expect(try parse("PASS hunter2").get().description == "PASS ****")
    }

    @Test func tenKilobyteLineParsesOrFailsCleanly() {
        // The line decoder enforces the length limit; the parser must still cope with big input.
        let result = parse("RETR " + String(repeating: "a", count: 10_000))
        #expect((try? result.get())?.argument.count == 10_000)
    }
}

@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPReplyTests {
    @Test func singleLine() {
        #expect(FTPReply(200, "Ok.").encoded == "200 Ok.\r\n")
    }

    @Test func multiLineIndentsInnerLines() {
        let r = FTPReply(211, lines: ["Features:", "SIZE", "211 lookalike", "End"])
        #expect(r.encoded == "211-Features:\r\n SIZE\r\n 211 lookalike\r\n211 End\r\n")
    }

    @Test func crlfInTextCannotInjectAReply() {
        #expect(FTPReply(550, lines: ["a\r\n230 fake"]).encoded == "550 a  230 fake\r\n")
    }
}
