import DiscordKit
import Testing
import SeedTestSupport

@Suite(.tags(.unit), .inTestSet(.unit)) struct PrefixCommandParserTests {
    let parser = PrefixCommandParser(prefixes: ["!", "ftp!"])

    @Test func commandsAndQuotedArguments() throws {
        #expect(try parser.parse("!upload")?.get() == PrefixCommand(name: "upload", arguments: []))
        #expect(try parser.parse("  !Download  \"my file.txt\" /tmp/x")?.get()
            == PrefixCommand(name: "download", arguments: ["my file.txt", "/tmp/x"]))
        #expect(try parser.parse("!apagar 'it''s' a\\ b \"\"")?.get()
            == PrefixCommand(name: "apagar", arguments: ["its", "a b", ""]))
        #expect(try parser.parse("ftp!list *.pdf")?.get() == PrefixCommand(name: "list", arguments: ["*.pdf"]))
    }

    /// Seeded random messages built from quotes, escapes, prefixes, spaces and odd Unicode: never a crash; a
    /// command's name is lower-case and non-empty (without whitespace unless quoted or escaped); quoting what was
    /// parsed parses back the same.
    @Test func randomMessages() throws {
        var state: UInt64 = 7
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let pieces = ["!", "ftp!", " ", "  ", "\"", "'", "\\", "a", "Upload", "é", "\u{301}", "\n", "\t", "\u{200B}",
                      "📄", "x y", "''", "\"\"", "\u{0}", "ｆ"]
        for _ in 0..<20_000 {
            let text = (0..<Int(next() % 12)).map { _ in pieces[Int(next() % UInt64(pieces.count))] }.joined()
            guard case .success(let command)? = parser.parse(text) else { continue }
            #expect(!command.name.isEmpty && command.name == command.name.lowercased(), "\(text.debugDescription)")
            if !text.contains(where: { $0 == "\\" || $0 == "'" || $0 == "\"" }) {
                #expect(!command.name.unicodeScalars.contains { $0.properties.isWhitespace }, "\(text.debugDescription)")
            }
            let quoted = command.text()
            #expect(try parser.parse(quoted)?.get() == command, "\(text.debugDescription) → \(quoted.debugDescription)")
        }
    }

    /// A command written back as text reads as the same command, a backslash with a combining mark after it
    /// included (one `Character` to Swift; a `Character` replacement left it unescaped, found by the `message` fuzz
    /// target in the test's own quoting).
    @Test func commandsWriteBackAsText() throws {
        let command = PrefixCommand(name: "apagar", arguments: ["a \"b\"", "c\\\u{650}d", "", "ftp!x"])
        #expect(command.text() == #"!"apagar" "a \"b\"" "c\\"# + "\u{650}" + #"d" "" "ftp!x""#)
        #expect(try parser.parse(command.text())?.get() == command)
        #expect(try parser.parse(command.text(prefix: "ftp!"))?.get() == command)
    }

    @Test func notCommandsAndErrors() {
        #expect(parser.parse("hello there") == nil)
        #expect(parser.parse("!upload \"unclosed") == .failure(.unterminatedQuote))
        #expect(parser.parse("!") == .failure(.emptyCommand))
        #expect(parser.parse("!   ") == .failure(.emptyCommand))
        // The name must follow the prefix: "! no" is an exclamation (and no reply names a command it did not see).
        #expect(parser.parse("! upload x") == .failure(.emptyCommand))
        #expect(parser.parse("!\tupload") == .failure(.emptyCommand))
        #expect(parser.commandName("! upload x") == nil)
        #expect(parser.commandName("!Upload \"x") == "upload")
    }
}
