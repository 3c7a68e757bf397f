import DiscordKit
import Testing

@Suite struct PrefixCommandParserTests {
    let parser = PrefixCommandParser(prefixes: ["!", "ftp!"])

    @Test func commandsAndQuotedArguments() throws {
        #expect(try parser.parse("!upload")?.get() == PrefixCommand(name: "upload", arguments: []))
        #expect(try parser.parse("  !Download  \"my file.txt\" /tmp/x")?.get()
            == PrefixCommand(name: "download", arguments: ["my file.txt", "/tmp/x"]))
        #expect(try parser.parse("!apagar 'it''s' a\\ b \"\"")?.get()
            == PrefixCommand(name: "apagar", arguments: ["its", "a b", ""]))
        #expect(try parser.parse("ftp!list *.pdf")?.get() == PrefixCommand(name: "list", arguments: ["*.pdf"]))
    }

    @Test func notCommandsAndErrors() {
        #expect(parser.parse("hello there") == nil)
        #expect(parser.parse("!upload \"unclosed") == .failure(.unterminatedQuote))
        #expect(parser.parse("!") == .failure(.emptyCommand))
        #expect(parser.parse("!   ") == .failure(.emptyCommand))
    }
}
