import Balancer
import DiscordKit
import Foundation
import Metrics
import NIOCore
import Synchronization

/// The file commands on Discord: `/upload` `!upload`, `/download` `!download`, `/list` `!listar` `!list`,
/// `/delete` `!apagar` `!delete`, `/status` `!status`, `/help` `!help`. One handler per command serves both
/// forms through DiscordKit's ``CommandRouter``.
struct DiscordFileBot: Sendable {
    struct Settings: Sendable {
        var adminRoles: Set<Snowflake> = []
        var allowedChannels: Set<Snowflake> = []
        var maxFileSize: Int64 = 1 << 30
        var userQuota: Int64?
        var scratchDirectory: String
        var pageSize = 10
    }

    let cluster: Cluster
    let rest: DiscordRESTClient
    let settings: Settings
    let confirmations = PendingDeletes()
    let guildLimits = GuildLimits()

    static let upload = CommandSpec(
        "upload", aliases: ["enviar"], description: "Store the attached file(s) in the cluster",
        options: [.init("file", "The file to store", kind: .attachment, required: true),
                  .init("name", "Store it under this name", takesRest: true)])
    static let download = CommandSpec(
        "download", aliases: ["baixar"], description: "Get a stored file",
        options: [.init("name", "The file's name", required: true, autocomplete: true, takesRest: true)])
    static let list = CommandSpec(
        "list", aliases: ["listar", "ls"], description: "List stored files",
        options: [.init("filter", "Only names containing this", takesRest: true)])
    static let delete = CommandSpec(
        "delete", aliases: ["apagar", "rm"], description: "Delete a stored file (its uploader or an admin)",
        options: [.init("name", "The file's name", required: true, autocomplete: true, takesRest: true)])
    static let status = CommandSpec("status", description: "Health, load and free space of each node")

    func register(on router: CommandRouter) async {
        let names: CommandRouter.Autocomplete = { _, _, typed in
            let all = await self.cluster.knownFiles.map(\.name)
            let lower = typed.lowercased()
            let starts = all.filter { $0.lowercased().hasPrefix(lower) }
            let contains = all.filter { !$0.lowercased().hasPrefix(lower) && $0.lowercased().contains(lower) }
            return Array((starts + contains).prefix(25))
        }
        await router.register(Self.upload, handler: self.guarded(self.upload))
        await router.register(Self.download, autocomplete: names, handler: self.guarded(self.download))
        await router.register(Self.list, handler: self.guarded(self.list))
        await router.register(Self.delete, autocomplete: names, handler: self.guarded(self.delete))
        await router.register(Self.status, handler: self.guarded(self.status))
        await router.registerHelp(title: "Seed file bot")
        await router.registerComponent(prefix: "list:") { interaction, rest in
            try await self.turnPage(interaction, rest: rest)
        }
        await router.registerComponent(prefix: "delete:") { interaction, rest in
            try await self.confirmDelete(interaction, rest: rest)
        }
    }

    /// Applies the channel restriction before any command.
    private func guarded(_ handler: @escaping CommandRouter.Handler) -> CommandRouter.Handler {
        let allowed = self.settings.allowedChannels
        return { invocation, reply in
            guard allowed.isEmpty || allowed.contains(invocation.channelID) else {
                let list = allowed.sorted().map { "<#\($0)>" }.joined(separator: ", ")
                try await reply.send(Self.text("I only take commands in \(list).", ephemeral: true))
                return
            }
            try await handler(invocation, reply)
        }
    }

    static func text(_ content: String, ephemeral: Bool = false) -> MessagePayload {
        MessagePayload(content: content, flags: ephemeral ? MessagePayload.ephemeralFlag : nil)
    }

    // MARK: - Upload

    private func upload(_ invocation: CommandInvocation, _ reply: CommandReplier) async throws {
        guard !invocation.attachments.isEmpty else {
            try await reply.send(Self.text("Attach a file to `!upload` (or pick one in `/upload`)."))
            return
        }
        var lines: [String] = []
        for attachment in invocation.attachments {
            let requested = invocation.attachments.count == 1 ? (invocation.string("name") ?? attachment.filename)
                : attachment.filename
            lines.append(try await self.uploadOne(attachment, as: requested, invocation, reply))
        }
        try await reply.edit(Self.text(lines.joined(separator: "\n")))
    }

    private func uploadOne(
        _ attachment: Attachment, as requested: String, _ invocation: CommandInvocation, _ reply: CommandReplier
    ) async throws -> String {
        guard let name = FileNames.clean(requested) else {
            return "❌ '\(Self.escape(requested))' cannot be used as a file name."
        }
        let size = Int64(attachment.size)
        if size > self.settings.maxFileSize {
            return "❌ **\(Self.escape(name))** is \(ProgressBar.bytes(size)); the limit is \(ProgressBar.bytes(self.settings.maxFileSize)) per file."
        }
        if let quota = self.settings.userQuota {
            let used = await self.cluster.knownFiles.filter { $0.uploader == invocation.user.id.rawValue }
                .reduce(Int64(0)) { $0 + Int64($1.size) }
            if used + size > quota {
                return "❌ **\(Self.escape(name))** (\(ProgressBar.bytes(size))) would put you over your quota: you use \(ProgressBar.bytes(used)) of \(ProgressBar.bytes(quota))."
            }
        }
        let counter = ByteCounter()
        let reporter = ProgressReporter(title: "⬆️ Uploading **\(Self.escape(name))**", total: size)
        let (file, _) = try await reporter.run(replier: reply, progress: { counter.value }) {
            // Streamed from Discord's CDN into the nodes as it arrives.
            let download = try await self.rest.download(url: attachment.url)
            let source = CountingSequence(base: download.body, counter: counter)
            return try await self.cluster.upload(
                name, from: source, size: UInt64(attachment.size), uploader: invocation.user.id.rawValue,
                collision: .keepBoth)
        }
        Counter(label: "seed_cluster_bytes_total", dimensions: [("direction", "stored")]).increment(by: Int64(clamping: file.size))
        var line = "✅ Stored **\(Self.escape(file.name))** (\(ProgressBar.bytes(Int64(file.size))), sha256 `\(file.sha256?.prefix(16) ?? "?")…`) on \(file.nodes.joined(separator: ", "))."
        if name != requested { line += " The name was cleaned from '\(Self.escape(requested))'." }
        if file.name != name { line += " '\(Self.escape(name))' existed, so it was kept as '\(Self.escape(file.name))'." }
        return line
    }

    // MARK: - Download

    private func download(_ invocation: CommandInvocation, _ reply: CommandReplier) async throws {
        let name = invocation.string("name") ?? ""
        let listing = try await self.cluster.list()
        guard let file = listing.files.first(where: { $0.name == name }) else {
            try await reply.send(Self.text(Self.notFound(name, listing)))
            return
        }
        let limit = await self.uploadLimit(invocation)
        if Int64(file.size) > Int64(limit) {
            try await reply.send(Self.text(
                "**\(Self.escape(name))** is \(ProgressBar.bytes(Int64(file.size))), over this channel's upload limit of \(ProgressBar.bytes(Int64(limit))), so I cannot attach it here."))
            return
        }
        try FileManager.default.createDirectory(atPath: self.settings.scratchDirectory, withIntermediateDirectories: true)
        let scratch = self.settings.scratchDirectory + "/" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        guard FileManager.default.createFile(atPath: scratch, contents: nil),
            let handle = FileHandle(forWritingAtPath: scratch)
        else { throw ClusterError(.notFound, "cannot write a scratch file") }
        let sink = FileSink(handle: handle)
        let counter = ByteCounter()
        let reporter = ProgressReporter(title: "⬇️ Fetching **\(Self.escape(name))**", total: Int64(file.size))
        do {
            let (_, shown) = try await reporter.run(replier: reply, progress: { counter.value }) {
                try await self.cluster.download(name) { chunk in
                    try await sink.write(chunk)
                    counter.add(chunk.readableBytes)
                }
            }
            try handle.close()
            if shown { try await reply.edit(Self.text("✅ Fetched **\(Self.escape(name))**; sending it…")) }
        } catch {
            try? handle.close()
            throw error
        }
        Counter(label: "seed_cluster_bytes_total", dimensions: [("direction", "fetched")]).increment(by: Int64(clamping: file.size))
        try await reply.send(
            Self.text("📄 **\(Self.escape(name))** (\(ProgressBar.bytes(Int64(file.size))))"),
            files: [try FileUpload.file(path: scratch, filename: name)])
    }

    /// The channel's upload limit: what the interaction says, else the guild's boost tier, else 10 MiB.
    private func uploadLimit(_ invocation: CommandInvocation) async -> Int {
        if let limit = invocation.attachmentSizeLimit { return limit }
        guard let guild = invocation.guildID else { return 10 << 20 }
        return await self.guildLimits.limit(for: guild, rest: self.rest)
    }

    // MARK: - List

    private func list(_ invocation: CommandInvocation, _ reply: CommandReplier) async throws {
        try await reply.send(try await self.page(filter: invocation.string("filter"), page: 0))
    }

    func page(filter: String?, page: Int) async throws -> MessagePayload {
        let listing = try await self.cluster.list()
        let replicas = await self.cluster.replicas
        let files = listing.files.filter { f in filter.map { f.name.lowercased().contains($0.lowercased()) } ?? true }
        let pages = max(1, (files.count + self.settings.pageSize - 1) / self.settings.pageSize)
        let current = min(max(page, 0), pages - 1)
        let slice = files.dropFirst(current * self.settings.pageSize).prefix(self.settings.pageSize)
        var lines = slice.map { f -> String in
            let health = f.nodes.count >= replicas ? "✅" : "⚠️"
            let date = f.uploadedAt.map { "<t:\(Int($0.timeIntervalSince1970)):d>" } ?? "-"
            let who = f.uploader.map { $0.allSatisfy(\.isNumber) ? "<@\($0)>" : Self.escape($0) } ?? "-"
            return "`\(f.name)` — \(ProgressBar.bytes(Int64(f.size))) · \(date) · \(who) · \(health) \(f.nodes.count)/\(replicas)"
        }
        if files.isEmpty {
            lines = [filter == nil ? "No files yet. Upload one with `!upload` or `/upload`." : "No file name contains '\(Self.escape(filter!))'."]
        }
        if !listing.unreachableNodes.isEmpty {
            lines.insert("⚠️ Unreachable: \(listing.unreachableNodes.joined(separator: ", ")); files only there are not shown.", at: 0)
        }
        let total = listing.files.reduce(UInt64(0)) { $0 + $1.size }
        let stored = listing.files.reduce(UInt64(0)) { $0 + $1.size * UInt64(max(1, $1.nodes.count)) }
        let embed = Embed(
            title: filter.map { "Files matching '\($0.prefix(50))'" } ?? "Files",
            description: String(lines.joined(separator: "\n").prefix(4000)),
            footer: .init(text: "Page \(current + 1)/\(pages) · \(listing.files.count) \(listing.files.count == 1 ? "file" : "files") · \(ProgressBar.bytes(Int64(total))) (\(ProgressBar.bytes(Int64(stored))) with replicas)"))
        var components: [MessageComponent]?
        if pages > 1 {
            let f = String((filter ?? "").prefix(60))
            components = [.row([
                MessageComponent(type: .button, style: .secondary, label: "◀", customID: "list:\(current - 1):\(f)",
                                 disabled: current == 0),
                MessageComponent(type: .button, style: .secondary, label: "▶", customID: "list:\(current + 1):\(f)",
                                 disabled: current + 1 >= pages),
            ])]
        }
        return MessagePayload(embeds: [embed], components: components ?? [])
    }

    private func turnPage(_ interaction: Interaction, rest: DiscordRESTClient) async throws {
        let parts = (interaction.data?.customID ?? "").split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        let page = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let filter = parts.count > 2 && !parts[2].isEmpty ? String(parts[2]) : nil
        try await rest.respond(to: interaction, .update(try await self.page(filter: filter, page: page)))
    }

    // MARK: - Delete

    private func delete(_ invocation: CommandInvocation, _ reply: CommandReplier) async throws {
        let name = invocation.string("name") ?? ""
        let listing = try await self.cluster.list()
        guard let file = listing.files.first(where: { $0.name == name }) else {
            try await reply.send(Self.text(Self.notFound(name, listing)))
            return
        }
        guard self.mayDelete(file, user: invocation.user.id, roles: invocation.member?.roles ?? []) else {
            let owner = file.uploader.map { $0.allSatisfy(\.isNumber) ? "<@\($0)>" : $0 } ?? "its uploader"
            try await reply.send(Self.text(
                "Only \(owner) or a member of an admin role may delete **\(Self.escape(name))**.",
                ephemeral: true))
            return
        }
        if invocation.isSlashCommand {
            let token = await self.confirmations.add(name: name, user: invocation.user.id)
            try await reply.send(MessagePayload(
                content: "Delete **\(Self.escape(name))** (\(ProgressBar.bytes(Int64(file.size)))) from every node?",
                components: [.row([.button("Delete", id: "delete:yes:\(token)", style: .danger),
                                   .button("Cancel", id: "delete:no:\(token)")])]))
            return
        }
        try await self.cluster.delete(name)
        try await reply.send(Self.text("🗑️ Deleted **\(Self.escape(name))**."))
    }

    func mayDelete(_ file: ClusterFile, user: Snowflake, roles: [Snowflake]) -> Bool {
        file.uploader == user.rawValue || !self.settings.adminRoles.isDisjoint(with: roles)
    }

    private func confirmDelete(_ interaction: Interaction, rest: DiscordRESTClient) async throws {
        let parts = (interaction.data?.customID ?? "").split(separator: ":")
        guard parts.count == 3, let user = interaction.invoker?.id else { return }
        guard let pending = await self.confirmations.take(String(parts[2]), user: user) else {
            try await rest.respond(to: interaction, .message(Self.text(
                "Only the person who asked can answer this, and only once.", ephemeral: true)))
            return
        }
        let text: String
        if parts[1] == "yes" {
            do {
                try await self.cluster.delete(pending)
                text = "🗑️ Deleted **\(Self.escape(pending))**."
            } catch {
                text = "❌ Could not delete **\(Self.escape(pending))**: \(Self.describe(error))"
            }
        } else {
            text = "Kept **\(Self.escape(pending))**."
        }
        try await rest.respond(to: interaction, .update(MessagePayload(content: text, components: [])))
    }

    // MARK: - Status

    private func status(_ invocation: CommandInvocation, _ reply: CommandReplier) async throws {
        await self.cluster.refresh()
        let fields = await self.cluster.status().map { s -> Embed.Field in
            let latency = s.latency.map { String(format: "%.1f ms", Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1000) } ?? "-"
            let free = s.load.freeBytes.map { ProgressBar.bytes(Int64($0)) + " free" } ?? "free space unknown"
            let value = s.isUp
                ? "🟢 up · \(ProgressBar.bytes(Int64(s.load.usedBytes))) used · \(free) · \(s.load.activeTransfers) transfers · \(latency)"
                : "🔴 down · \(s.lastError ?? "unreachable")"
            return Embed.Field(name: s.name, value: String(value.prefix(1024)))
        }
        try await reply.send(MessagePayload(embeds: [Embed(title: "Nodes", fields: fields)]))
    }

    // MARK: - Text

    static func notFound(_ name: String, _ listing: ClusterListing) -> String {
        let close = FileNames.suggestions(for: name, among: listing.files.map(\.name))
        var text = "No file named **\(Self.escape(name))**."
        if !close.isEmpty { text += " Did you mean " + close.map { "`\($0)`" }.joined(separator: ", ") + "?" }
        if !listing.unreachableNodes.isEmpty {
            text += " (\(listing.unreachableNodes.joined(separator: ", ")) could not be reached.)"
        }
        return text
    }

    /// Keeps user-supplied names from turning into Markdown.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            if "*_`~|>\\".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as ClusterError: "Sorry, that failed: \(e.message)."
        case let e as DiscordRESTError: "Sorry, Discord refused that: \(e)."
        default: "Sorry, that failed: \(error)."
        }
    }
}

/// Delete confirmations waiting for their button, keyed by a short token (button IDs hold 100 characters, a
/// file name may not fit).
actor PendingDeletes {
    private var pending: [String: (name: String, user: Snowflake, created: ContinuousClock.Instant)] = [:]

    func add(name: String, user: Snowflake) -> String {
        let now = ContinuousClock.now
        self.pending = self.pending.filter { now - $0.value.created < .seconds(900) }
        let token = String(UUID().uuidString.prefix(8))
        self.pending[token] = (name, user, now)
        return token
    }

    func take(_ token: String, user: Snowflake) -> String? {
        guard let entry = self.pending[token], entry.user == user else { return nil }
        self.pending[token] = nil
        return entry.name
    }
}

/// Guild upload limits, asked once per guild.
actor GuildLimits {
    private var limits: [Snowflake: Int] = [:]

    func limit(for guild: Snowflake, rest: DiscordRESTClient) async -> Int {
        if let known = self.limits[guild] { return known }
        let limit = (try? await rest.guild(guild).attachmentSizeLimit) ?? (10 << 20)
        self.limits[guild] = limit
        return limit
    }
}

/// Bytes moved so far, read by the progress reporter while the transfer writes it.
final class ByteCounter: Sendable {
    private let count = Atomic<Int64>(0)
    func add(_ n: Int) { self.count.add(Int64(n), ordering: .relaxed) }
    var value: Int64 { self.count.load(ordering: .relaxed) }
}

/// Counts the bytes flowing through a sequence.
struct CountingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let counter: ByteCounter

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let counter: ByteCounter
        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await self.base.next() else { return nil }
            self.counter.add(chunk.readableBytes)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: self.base.makeAsyncIterator(), counter: self.counter) }
}
