import Balancer
import DiscordKit
import FileBot

extension FuzzTarget {
    /// The prefixes the bot is tried with: the default and a longer one sharing its last character.
    private static let prefixParser = PrefixCommandParser(prefixes: ["!", "ftp!"])
    /// The characters Discord reads as Markdown, which a name must not become in the bot's messages.
    private static let markdown = Set("*_`~|>\\[]<".unicodeScalars)

    /// What people type and name in a chat: a message read as a prefix command; a name as the cluster cleans it
    /// and as Discord renames an attachment; and names written back into the bot's Markdown messages.
    static func message(_ bytes: [UInt8]) {
        let s = Self.text(bytes)
        Self.prefixCommand(s)
        Self.names(s)
        Self.markdownText(s)
    }

    /// A command has a name, reads back the same once every word is quoted, and is the command the router names
    /// when it answers a malformed one (`commandName`).
    private static func prefixCommand(_ s: String) {
        guard case .success(let command)? = Self.prefixParser.parse(s) else { return }
        check(!command.name.isEmpty, "\(s.debugDescription) parses to an empty command name")
        let quoted = command.text()
        let again = try? Self.prefixParser.parse(quoted)?.get()
        check(again == command, "\(s.debugDescription) → \(command), quoted \(quoted.debugDescription) → \(String(describing: again))")
        if !s.unicodeScalars.contains(where: { $0 == "\"" || $0 == "'" || $0 == "\\" }) {
            let name = Self.prefixParser.commandName(s)
            check(name == command.name, "\(s.debugDescription): command \(command.name), commandName \(String(describing: name))")
        }
    }

    /// A cleaned name is one the cluster takes and cleaning it again changes nothing; a listing filter of a name,
    /// or of its start, finds it; Discord's rename of an attachment gives a plain ASCII name that renaming again
    /// keeps.
    private static func names(_ s: String) {
        if let cleaned = FileNames.clean(s) {
            check(FileNames.isValid(cleaned), "\(s.debugDescription) cleans to the invalid \(cleaned.debugDescription)")
            check(FileNames.clean(cleaned) == cleaned, "\(s.debugDescription) cleans to \(cleaned.debugDescription), which cleans further")
        }
        if !s.isEmpty, let filter = NameFilter(s) {
            // Whatever a name holds (`*`, `[`…), a listing filtered by the name, or by a start of it, shows it.
            check(filter.matches(s), "\(s.debugDescription) is not found by itself as a filter")
            let start = String(s.prefix(max(1, s.count / 2)))
            check(NameFilter(start)?.matches(s) == true, "\(s.debugDescription) is not found by \(start.debugDescription)")
        }
        let shown = AttachmentName.displayed(s)
        let allowed = { (b: UInt8) in b.isASCIIAlnum || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") }
        check(!shown.isEmpty && shown.utf8.allSatisfy(allowed), "\(s.debugDescription) is shown as \(shown.debugDescription)")
        check(!["_", "."].contains(shown.first) && !["_", "."].contains(shown.last), "\(s.debugDescription) is shown as \(shown.debugDescription)")
        check(AttachmentName.displayed(shown) == shown, "\(s.debugDescription) is shown as \(shown.debugDescription), which changes again")
    }

    /// Escaped text has no Markdown character left bare and unescapes to the text; a mention is a real user id
    /// or escaped text; a code span shows the text.
    private static func markdownText(_ s: String) {
        let escaped = DiscordFrontEnd.escape(s)
        var plain = String.UnicodeScalarView(), pending = false
        for scalar in escaped.unicodeScalars {
            if pending {
                plain.append(scalar)
                pending = false
            } else if scalar == "\\" {
                pending = true
            } else {
                check(!Self.markdown.contains(scalar), "\(s.debugDescription) escapes to \(escaped.debugDescription), a bare \(scalar.escaped(asASCII: true))")
                plain.append(scalar)
            }
        }
        check(!pending && String(plain) == s, "\(escaped.debugDescription) does not unescape to \(s.debugDescription)")

        let mention = DiscordFrontEnd.mention(s)
        let isUserID = UInt64(s).map { String($0) == s } == true  // a 64-bit number's own decimal text
        check(mention == (isUserID ? "<@\(s)>" : escaped), "\(s.debugDescription) mentioned as \(mention.debugDescription)")
        if !s.isEmpty { Self.codeSpan(s) }
    }

    /// A code span's fences are its longest backtick runs and enclose exactly the text (less the padding Discord
    /// removes). (No span can hold nothing, and the bot never writes an empty one.)
    private static func codeSpan(_ s: String) {
        // As Discord's renderer reads inline code: an opening run of n backticks, the shortest text after it that
        // ends before a run of exactly n, one space of padding dropped next to a backtick at either end.
        let span = Array(DiscordFrontEnd.code(s).unicodeScalars)
        let fence = span.prefix { $0 == "`" }.count
        let closing = span.reversed().prefix { $0 == "`" }.count
        check(fence > 0 && fence == closing && span.count >= 2 * fence, "\(s.debugDescription) in code: \(String(String.UnicodeScalarView(span)).debugDescription)")
        guard fence > 0 && fence == closing && span.count >= 2 * fence else { return }
        var inner = Array(span[fence..<(span.count - fence)])
        var run = 0
        for scalar in inner {
            run = scalar == "`" ? run + 1 : 0
            check(run < fence, "\(s.debugDescription): a run of \(fence) backticks inside its code span closes it early")
        }
        if inner.count >= 2, inner.first == " ", inner.dropFirst().first(where: { $0 != " " }) == "`" { inner.removeFirst() }
        if inner.count >= 2, inner.last == " ", inner.dropLast().last(where: { $0 != " " }) == "`" { inner.removeLast() }
        let shown = String(String.UnicodeScalarView(inner))
        check(shown == s, "\(s.debugDescription) in code shows as \(shown.debugDescription)")
    }
}

extension UInt8 {
    fileprivate var isASCIIAlnum: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
    }
}
