import Testing
import SeedTestSupport

@testable import FileBot

/// File names are the uploader's words inside the bot's messages: they must show as typed, never as Markdown the
/// bot did not mean (emphasis, a masked link, a mention tag, a code span that ends early).
@Suite(.tags(.unit), .inTestSet(.unit)) struct DiscordMarkdownTests {
    @Test func namesShowAsTyped() {
        #expect(DiscordFrontEnd.escape("report.pdf") == "report.pdf")
        #expect(DiscordFrontEnd.escape("*bold* _it_ ~~x~~ ||s|| > q") == #"\*bold\* \_it\_ \~\~x\~\~ \|\|s\|\| \> q"#)
        // A masked link would put a link of the uploader's choosing in the bot's message.
        #expect(DiscordFrontEnd.escape("[click](https://evil.example)") == #"\[click\](https://evil.example)"#)
        // Mention, channel and timestamp tags stay text.
        #expect(DiscordFrontEnd.escape("<@123> <#456> <t:0>") == #"\<@123\> \<#456\> \<t:0\>"#)
        // A mark after the star makes one Character in Swift, but Discord still sees the star (before: not escaped).
        #expect(DiscordFrontEnd.escape("*\u{301}x*") == "\\*\u{301}x\\*")
    }

    @Test func codeSpansAreLongerThanAnyRunOfBackticks() {
        #expect(DiscordFrontEnd.code("plain") == "`plain`")
        #expect(DiscordFrontEnd.code("a`b") == "``a`b``")
        // A backtick at either end (after any spaces) gets one space there, which the renderer drops again; only
        // there: a space added at the other end would stay (simple-markdown's rule, not CommonMark's).
        #expect(DiscordFrontEnd.code("``x") == "``` ``x```")
        #expect(DiscordFrontEnd.code("x`") == "``x` ``")
        #expect(DiscordFrontEnd.code(" `a` ") == "``  `a`  ``", "the renderer would take the text's own spaces")
        #expect(DiscordFrontEnd.code("`\u{301}x") == "`` `\u{301}x``", "a backtick with a mark still joins the fence")
        // Backticks with marks after them are still backticks (before: no fence at all, and the single-backtick span
        // ended inside the name).
        #expect(DiscordFrontEnd.code("a`\u{301}`\u{301}b") == "``a`\u{301}`\u{301}b``")
    }

    /// Only a Discord user id (ASCII digits) becomes a mention; other digits (`٠١`, `½`) are text.
    @Test func onlyUserIDsBecomeMentions() {
        #expect(DiscordFrontEnd.mention("123456789012345678") == "<@123456789012345678>")
        #expect(DiscordFrontEnd.mention("\u{660}\u{661}") == "\u{660}\u{661}")
        #expect(DiscordFrontEnd.mention("½") == "½")
        #expect(DiscordFrontEnd.mention("ana_*") == "ana\\_\\*")
        #expect(DiscordFrontEnd.mention("") == "")
        #expect(DiscordFrontEnd.mention("+5") == "+5")
        #expect(DiscordFrontEnd.mention("18446744073709551615") == "<@18446744073709551615>")
        #expect(DiscordFrontEnd.mention("18446744073709551616") == "18446744073709551616")  // past 64 bits: no id
        #expect(DiscordFrontEnd.mention("0003223040000320151585") == "0003223040000320151585")  // not as Discord writes ids
    }
}
