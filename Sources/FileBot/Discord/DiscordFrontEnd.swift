import Balancer
public import DiscordKit
import Foundation
import NIOCore

/// The file commands on Discord: `/upload` `!upload`, `/download` `!download`, `/list` `!listar` `!list`,
/// `/delete` `!apagar` `!delete`, `/status` `!status`, `/help` `!help`, served through DiscordKit's
/// ``CommandRouter`` (one handler for both forms) and rendered as messages, embeds and buttons. What each does is
/// ``FileBot``'s; this type only maps invocations to callers and results to payloads.
public struct DiscordFrontEnd: Sendable {
    /// Where the front end listens and where it keeps scratch files.
    public struct Settings: Sendable {
        /// Channel ids where commands are taken (empty: everywhere).
        public var allowedChannels: Set<Snowflake>
        /// Where downloads are written before they are attached.
        public var scratchDirectory: String

        /// Every channel allowed when `allowedChannels` is empty.
        public init(allowedChannels: Set<Snowflake> = [], scratchDirectory: String) {
            self.allowedChannels = allowedChannels
            self.scratchDirectory = scratchDirectory
        }
    }

    let bot: FileBot
    let links: ShareLinks?
    let rest: DiscordRESTClient
    let settings: Settings
    let guildLimits = GuildLimits()

    /// - Parameter links: share links and upload pages; `nil` without a web front end (files over a channel's
    ///   limit are then refused, and the link commands say why).
    public init(bot: FileBot, links: ShareLinks? = nil, rest: DiscordRESTClient, settings: Settings) {
        self.bot = bot
        self.links = links
        self.rest = rest
        self.settings = settings
    }

    static func spec(_ command: BotCommand, options: [CommandSpec.Option] = []) -> CommandSpec {
        CommandSpec(command.name, aliases: command.aliases, description: command.summary, options: options)
    }

    static let upload = Self.spec(.upload, options: [
        .init("file", "The file to store (without one: a link to an upload page)", kind: .attachment),
        .init("name", "Store it under this name", takesRest: true)])
    static let download = Self.spec(.download, options: [
        .init("name", "The file's name", required: true, autocomplete: true, takesRest: true)])
    static let list = Self.spec(.list, options: [.init("filter", "Part of a name, or a pattern such as *.pdf", takesRest: true)])
    static let delete = Self.spec(.delete, options: [
        .init("name", "The file's name", required: true, autocomplete: true, takesRest: true)])
    static let status = Self.spec(.status)
    static let share = Self.spec(.share, options: [
        .init("name", "The file's name", required: true, autocomplete: true, takesRest: true),
        .init("hours", "How long the link works (hours, such as 2 or 0.5)", kind: .number)])
    static let unshare = Self.spec(.unshare, options: [
        .init("name", "The file's name", required: true, autocomplete: true, takesRest: true)])
    static let uploadLink = Self.spec(.uploadLink)
    static let cluster = Self.spec(.cluster, options: [
        .init("action", "drain, undrain, rebalance or scrub", required: true),
        .init("node", "The node to drain or put back in service")])

    /// Registers every command, the completion of stored names and the buttons, and learns guilds' upload limits
    /// from the gateway's guild events.
    public func register(on router: CommandRouter) async {
        let names: CommandRouter.Autocomplete = { invocation, _, typed in
            guard case .success(let caller) = self.caller(invocation) else { return [] }
            return await self.bot.names(matching: typed, for: caller)
        }
        // Guilds' upload limits, as the gateway tells them (and retells them when boosts change).
        let limits = self.guildLimits
        await router.observeGuilds { limits.learn($0) }
        await router.register(Self.upload, handler: self.guarded(self.upload))
        await router.register(Self.download, autocomplete: names, handler: self.guarded(self.download))
        await router.register(Self.list, handler: self.guarded(self.list))
        await router.register(Self.delete, autocomplete: names, handler: self.guarded(self.delete))
        await router.register(Self.status, handler: self.guarded(self.status))
        await router.register(Self.share, autocomplete: names, handler: self.guarded(self.share))
        await router.register(Self.unshare, autocomplete: names, handler: self.guarded(self.unshare))
        await router.register(Self.uploadLink, handler: self.guarded(self.uploadLink))
        await router.register(Self.cluster, handler: self.guarded(self.cluster))
        await router.registerHelp(title: "Seed file bot")
        await router.registerComponent(prefix: "list:") { interaction, rest in
            try await self.turnPage(interaction, rest: rest)
        }
        await router.registerComponent(prefix: "delete:") { interaction, rest in
            try await self.confirmDelete(interaction, rest: rest)
        }
    }

    /// The caller of an invocation, in the space of its server (or of its direct messages).
    func caller(_ invocation: CommandInvocation) -> Result<Caller, Refusal> {
        self.caller(user: invocation.user, guild: invocation.guildID, roles: invocation.member?.roles ?? [])
    }

    func caller(user: User, guild: Snowflake?, roles: [Snowflake]) -> Result<Caller, Refusal> {
        self.bot.settings.spaces.space(guildID: guild?.rawValue, userID: user.id.rawValue).map { space in
            Caller(id: user.id.rawValue, displayName: user.displayName, roles: Set(roles.map(\.rawValue)), space: space)
        }
    }

    typealias Handler = @Sendable (CommandInvocation, Caller, CommandReplier) async throws -> Void

    /// A name picked from autocomplete that Discord's 100-character limit made us cut (`…`) stands for the one
    /// stored name it begins; with none or several, the cut text is left to be refused as an unknown name.
    private func expandingCutName(_ invocation: CommandInvocation, _ caller: Caller) async -> CommandInvocation {
        guard invocation.isSlashCommand, let typed = invocation.string("name"),
            let prefix = ApplicationCommand.Choice.cutPrefix(typed)
        else { return invocation }
        // By code point: the cut may have parted a letter from its accent, which `hasPrefix` would not match.
        let matches = await self.bot.names(matching: prefix, for: caller, limit: .max)
            .filter { $0.unicodeScalars.starts(with: prefix.unicodeScalars) }
        guard matches.count == 1 else { return invocation }
        var expanded = invocation
        expanded.arguments["name"] = .string(matches[0])
        return expanded
    }

    /// Applies the channel restriction and finds the caller's space before any command.
    private func guarded(_ handler: @escaping Handler) -> CommandRouter.Handler {
        let allowed = self.settings.allowedChannels
        return { invocation, reply in
            guard allowed.isEmpty || allowed.contains(invocation.channelID) || invocation.guildID == nil else {
                let list = allowed.sorted().map { "<#\($0)>" }.joined(separator: ", ")
                try await reply.send(Self.text("I only take commands in \(list).", ephemeral: true))
                return
            }
            switch self.caller(invocation) {
            case .failure(let refusal): try await reply.send(Self.text(Self.render(refusal), ephemeral: true))
            case .success(let caller): try await handler(await self.expandingCutName(invocation, caller), caller, reply)
            }
        }
    }

    // MARK: - Rendering

    static func text(_ content: String, ephemeral: Bool = false) -> MessagePayload {
        MessagePayload(content: content, flags: ephemeral ? MessagePayload.ephemeralFlag : nil)
    }

    /// A refusal's sentence with Discord markup: names in bold, suggestions as code, users as mentions.
    static func render(_ refusal: Refusal) -> String {
        refusal.sentence(name: { "**\(Self.escape($0))**" }, suggestion: Self.code, user: Self.mention)
    }

    /// A user as a mention when `user` is a Discord user id (a 64-bit number as Discord writes it: `isNumber` would
    /// also take `٣` or `½`, which make no mention, only a stray `<@…>`), else the escaped text.
    package static func mention(_ user: String) -> String {
        let id = Snowflake(user)
        return id.value != nil ? id.userMention : Self.escape(user)
    }

    /// `text` as inline code, shown as typed by Discord's renderer (simple-markdown's `inlineCode` rule). Backslashes
    /// do not escape inside a code span, so a name holding backticks gets a fence one backtick longer than its
    /// longest run; a plain single-backtick span would end early and swallow the rest of the line. The renderer
    /// drops one space at the start of a span when only spaces lie between it and a backtick (`^ (?= *`)`), and
    /// one at the end likewise (`(` *) $`): text whose first or last non-space is a backtick gets that space of its
    /// own there, which also keeps its backtick from joining the fence.
    package static func code(_ text: String) -> String {
        // Scalars, as Discord reads them: a backtick with a combining mark after it is one Character to Swift but
        // still a backtick that would close a shorter fence, or join the opening one.
        let scalars = text.unicodeScalars
        var longest = 0
        var run = 0
        for c in scalars {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        if longest == 0 { return "`\(text)`" }
        let fence = String(repeating: "`", count: longest + 1)
        let lead = scalars.first { $0 != " " } == "`" ? " " : ""
        let trail = scalars.last { $0 != " " } == "`" ? " " : ""
        return fence + lead + text + trail + fence
    }

    /// Keeps user-supplied names from turning into Markdown: emphasis, code, spoilers, quotes, masked links
    /// (`[text](url)`, which would put a link of the uploader's choosing in the bot's message) and `<@id>`, `<#id>`
    /// or `<t:…>` tags. Discord reads a backslash before any punctuation as that character, so the name shows as
    /// typed. Scalar by scalar: a `*` with a combining mark after it is still a `*` to Discord.
    package static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            if "*_`~|>\\[]<".unicodeScalars.contains(c) { out.append("\\") }
            out.append(c)
        }
        return String(out)
    }

    /// The one sentence the router shows when a handler fails unexpectedly.
    public static func describe(_ error: any Error) -> String { Self.render(PlainWords.refusal(for: error)) }
}
