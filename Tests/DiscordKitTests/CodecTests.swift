import DiscordEmulator
import DiscordKit
import Foundation
import Logging
import Testing
import SeedTestSupport

@Suite(.tags(.unit), .inTestSet(.unit)) struct CodecTests {
    @Test func zlibStreamMessagesSurviveFrameSplits() throws {
        let deflater = StreamCompressor()  // the emulator's: the inflater is checked against code it does not share
        let inflater = try ZlibStreamInflater()
        for i in 0..<50 {
            let text = #"{"op":0,"s":\#(i),"t":"X","d":"\#(String(repeating: "é", count: i * 97))"}"#
            let compressed = deflater.compress(Array(text.utf8))
            #expect(Array(compressed.suffix(4)) == [0, 0, 0xFF, 0xFF])
            // Split into 3 frames: only the last one completes the message.
            let a = compressed.count / 3
            let b = 2 * compressed.count / 3
            #expect(try inflater.feed(compressed[0..<a]) == nil || a == 0)
            #expect(try inflater.feed(compressed[a..<b]) == nil || b == a)
            let out = try #require(try inflater.feed(compressed[b...]))
            #expect(String(decoding: out, as: UTF8.self) == text)
        }
    }

    @Test func corruptCompressedDataIsAnError() throws {
        let inflater = try ZlibStreamInflater()
        #expect(throws: ZlibStreamInflater.Error.self) { try inflater.feed([1, 2, 3, 4, 0, 0, 0xFF, 0xFF]) }
    }

    @Test func modelsTolerateUnknownFieldsAndValues() throws {
        let json = """
            {"id": 123456789012345678, "application_id": "9", "type": 99, "token": "t", "brand_new_field": {"x": 1},
             "data": {"name": "upload", "options": [{"name": "file", "type": 11, "value": "77"},
                                                    {"name": "n", "type": 4, "value": 3}],
                      "resolved": {"attachments": {"77": {"id": "77", "filename": "a b.txt", "size": 5,
                                                          "url": "https://cdn/x", "flags": 0}}}},
             "member": {"user": {"id": "5", "username": "ana", "avatar": null}, "roles": ["42"]},
             "attachment_size_limit": 10485760}
            """
        let interaction = try JSONDecoder().decode(Interaction.self, from: Data(json.utf8))
        #expect(interaction.id == "123456789012345678")
        #expect(interaction.type.rawValue == 99)
        #expect(interaction.invoker?.username == "ana")
        #expect(interaction.data?.options?[1].value == .integer(3))
        #expect(interaction.data?.resolved?.attachments?["77"]?.filename == "a b.txt")
        let message = try JSONDecoder().decode(Message.self, from: Data(
            #"{"id":"1","channel_id":"2","author":{"id":"3","username":"u"},"type":19,"flags":4096}"#.utf8))
        #expect(message.content == "" && message.attachments.isEmpty)
        // Snowflakes go out as strings.
        let encoded = String(decoding: try JSONEncoder().encode(Snowflake(42)), as: UTF8.self)
        #expect(encoded == "\"42\"")
    }

    /// An id goes back into request paths and into `<@id>` mentions, so only a 64-bit number in decimal digits
    /// decodes as one; anything else fails the payload with a decoding error, never a wrong or injected id.
    @Test func onlyDecimalNumbersDecodeAsIDs() throws {
        func decode(_ json: String) throws -> Snowflake {
            try JSONDecoder().decode(Snowflake.self, from: Data(json.utf8))
        }
        #expect(try decode(#""0""#) == "0")
        #expect(try decode(#""18446744073709551615""#).value == UInt64.max)
        #expect(try decode("18446744073709551615").value == UInt64.max)
        for bad in [#""""#, #""+5""#, #""-1""#, #"" 5""#, #""5 ""#, #""0x1f""#, #""1> @everyone""#, #""../5""#,
                    #""١٢""#, #""18446744073709551616""#, #""000000000000000000001""#, #""007""#, "-1", "1.5", "null", "[]"] {
            #expect(throws: DecodingError.self, "\(bad)") { try decode(bad) }
        }
        // A whole interaction whose invoker's id is not one is refused, not answered with a bad mention.
        let json = #"{"id":"1","application_id":"9","type":2,"token":"t","member":{"user":{"id":"5> @everyone","username":"x"}}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Interaction.self, from: Data(json.utf8)) }

        // Ids made from text are not checked (tests and settings name them), but they say when they are not numbers.
        #expect(Snowflake("+5").value == nil && Snowflake("٣").value == nil && Snowflake("").value == nil)
        #expect(Snowflake("007").value == nil && Snowflake("42").value == 42 && Snowflake("42").userMention == "<@42>")
        #expect(Snowflake("18446744073709551616").value == nil)
    }

    /// Discord measures text in code points, so limits are checked and text cut in code points: a cut falls
    /// between characters, and a cut autocomplete value is exactly 100 code points whose first 99 are the text's.
    @Test func limitsCountCodePoints() throws {
        let decomposed = String(repeating: "e\u{301}", count: 60)  // 60 characters, 120 code points
        #expect(MessageLimits.length(decomposed) == 120)
        let cut = MessageLimits.cut(decomposed, to: 100)
        #expect(cut == String(repeating: "e\u{301}", count: 49) + "…")  // 98 + 1: the 50th `é` would part
        #expect(MessageLimits.cut("abc", to: 3) == "abc" && MessageLimits.cut("abcd", to: 3) == "ab…")

        let choice = ApplicationCommand.Choice.fitting(decomposed)
        #expect(choice.name.unicodeScalars.count == 100 && choice.value == .string(choice.name))
        let prefix = try #require(ApplicationCommand.Choice.cutPrefix(choice.name))
        #expect(prefix.unicodeScalars.elementsEqual(decomposed.unicodeScalars.prefix(99)))
        #expect(decomposed.unicodeScalars.starts(with: prefix.unicodeScalars) && !decomposed.hasPrefix(prefix))
        #expect(ApplicationCommand.Choice.fitting(String(repeating: "é", count: 100)).name == String(repeating: "é", count: 100))
        #expect(ApplicationCommand.Choice.cutPrefix(String(repeating: "é", count: 99) + "…") == String(repeating: "é", count: 99))
        #expect(ApplicationCommand.Choice.cutPrefix(decomposed) == nil)

        // A command's description, 100 code points at most.
        let spec = CommandSpec("x", description: String(repeating: "a\u{308}", count: 80))
        #expect(spec.applicationCommand.description.unicodeScalars.count <= 100)
    }

    /// GUILD_CREATE and GUILD_UPDATE come out typed (a boost tier change is how a guild's upload limit changes).
    @Test func guildEventsDecodeWithTheirBoostTier() throws {
        let update = Data(#"{"op":0,"s":7,"t":"GUILD_UPDATE","d":{"id":"2000","name":"g","premium_tier":2,"features":[]}}"#.utf8)
        guard case .guildUpdate(let guild) = GatewayClient.decodeDispatch(name: "GUILD_UPDATE", data: update, logger: Logger(label: "test")) else {
            Issue.record("GUILD_UPDATE was not typed")
            return
        }
        #expect(guild.id == "2000" && guild.premiumTier == 2 && guild.attachmentSizeLimit == 50 << 20)
        let create = Data(#"{"op":0,"s":1,"t":"GUILD_CREATE","d":{"id":"2001","name":"h"}}"#.utf8)
        guard case .guildCreate(let plain) = GatewayClient.decodeDispatch(name: "GUILD_CREATE", data: create, logger: Logger(label: "test")) else {
            Issue.record("GUILD_CREATE was not typed")
            return
        }
        #expect(plain.attachmentSizeLimit == 10 << 20)
    }

    @Test func tokensNeverPrint() throws {
        let token = try BotToken(validating: "  abc.def.ghi\n", source: "test")
        #expect(token.secret == "abc.def.ghi")
        #expect(!"\(token)".contains("abc"))
        #expect(throws: BotToken.LoadError.empty(source: "$DISCORD_TOKEN")) {
            try BotToken.fromEnvironment(["DISCORD_TOKEN": " "])
        }
        #expect(throws: BotToken.LoadError.self) { try BotToken(validating: "a b", source: "x") }
        #expect(try BotToken.fromEnvironment([:]) == nil)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID())")
        try "file-token\n".write(to: dir, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try BotToken.fromEnvironment(["DISCORD_TOKEN_FILE": dir.path])?.secret == "file-token")
    }

    /// A token file can be a pipe (`DISCORD_TOKEN_FILE=/dev/stdin`, a process substitution): here one reached through
    /// /proc/self/fd, written whole and closed before it is read. Foundation's String(contentsOfFile:) had answered
    /// "permission denied".
    @Test func aTokenFileCanBeAPipe() throws {
        let pipe = Pipe()
        pipe.fileHandleForWriting.write(Data("piped-token\n".utf8))
        try pipe.fileHandleForWriting.close()
        defer { try? pipe.fileHandleForReading.close() }
        let path = "/proc/self/fd/\(pipe.fileHandleForReading.fileDescriptor)"
        #expect(try BotToken.fromEnvironment(["DISCORD_TOKEN_FILE": path])?.secret == "piped-token")
        // A file that cannot be read is named with the system's reason, not Foundation's decoration.
        #expect(throws: BotToken.LoadError.unreadableFile(path: "/no/such/token", reason: "No such file or directory")) {
            try BotToken.fromEnvironment(["DISCORD_TOKEN_FILE": "/no/such/token"])
        }
    }
}
