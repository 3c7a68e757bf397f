import Balancer
import DiscordKit
import Foundation
import NIOCore

extension DiscordFrontEnd {
    // MARK: - Upload

    func upload(_ invocation: CommandInvocation, _ caller: Caller, _ reply: CommandReplier) async throws {
        guard !invocation.attachments.isEmpty else {
            guard self.links != nil else {
                return try await reply.send(Self.text("Attach a file to `!upload` (or pick one in `/upload`)."))
            }
            return try await self.uploadLink(invocation, caller, reply)
        }
        var lines: [String] = []
        for attachment in invocation.attachments {
            let requested = invocation.attachments.count == 1 ? (invocation.string("name") ?? attachment.filename)
                : attachment.filename
            lines.append(try await self.uploadOne(attachment, as: requested, caller, reply))
        }
        try await reply.edit(Self.text(lines.joined(separator: "\n")))
    }

    private func uploadOne(
        _ attachment: Attachment, as requested: String, _ caller: Caller, _ reply: CommandReplier
    ) async throws -> String {
        let counter = ByteCounter()
        let title = "⬆️ Uploading **\(Self.escape(FileNames.clean(requested) ?? requested))**"
        // A size below zero is no size (the payload is Discord's): the upload streams and is checked as it arrives.
        let size = UInt64(exactly: attachment.size)
        let reporter = ProgressReporter(title: title, total: size.map { Int64($0) }, render: { Format.progress(done: $0, total: $1, elapsed: $2) })
        let (result, _) = try await reporter.run(replier: reply, progress: { counter.value }) {
            await self.bot.upload(requested, size: size, by: caller) {
                // Streamed from Discord's CDN into the nodes as it arrives; opened only once the name is reserved.
                CountingSequence(base: try await self.rest.download(url: attachment.url).body, counter: counter)
            }
        }
        switch result {
        case .failure(let refusal):
            // Named, so a message with several attachments says which one was not stored.
            if case .failed(let problem) = refusal.reason {
                return "❌ **\(Self.escape(FileNames.clean(requested) ?? requested))** was not stored: \(problem)"
            }
            return "❌ " + Self.render(refusal)
        case .success(let stored):
            let row = stored.row
            var line = "✅ Stored **\(Self.escape(row.name))** (\(Format.bytes(row.size)), sha256 `\(row.sha256?.prefix(16) ?? "?")…`) on \(row.nodes.joined(separator: ", "))."
            if stored.wasCleaned { line += " The name was cleaned from '\(Self.escape(stored.requestedName))'." }
            if let existing = stored.collidedWith {
                line += " '\(Self.escape(existing))' existed, so it was kept as '\(Self.escape(row.name))'."
            }
            return line
        }
    }

    // MARK: - Download

    func download(_ invocation: CommandInvocation, _ caller: Caller, _ reply: CommandReplier) async throws {
        let name = invocation.string("name") ?? ""
        let row: FileRow
        switch await self.bot.find(name, for: caller) {
        case .failure(let refusal): return try await reply.send(Self.text(Self.render(refusal)))
        case .success(let found): row = found
        }
        let limit = await self.uploadLimit(invocation)
        if row.size > limit {
            // Too big to attach here: a link instead, when the web front end runs.
            return try await self.sendLink(row, caller, reply, because: "is \(Format.bytes(row.size)), over this channel's upload limit of \(Format.bytes(limit))",
                                           otherwise: Refusal(.overTransferLimit(name: name, size: row.size, limit: limit)))
        }
        try FileManager.default.createDirectory(atPath: self.settings.scratchDirectory, withIntermediateDirectories: true)
        let scratch = self.settings.scratchDirectory + "/" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        guard let sink = try? await FileSink.open(destination: scratch) else {
            return try await reply.send(Self.text(Self.render(Refusal(.failed(problem: "I cannot write a scratch file.")))))
        }
        let counter = ByteCounter()
        let reporter = ProgressReporter(
            title: "⬇️ Fetching **\(Self.escape(name))**", total: Int64(row.size), render: { Format.progress(done: $0, total: $1, elapsed: $2) })
        let (result, shown) = try await reporter.run(replier: reply, progress: { counter.value }) {
            await self.bot.download(name, for: caller) { chunk in
                try await sink.write(chunk)
                counter.add(chunk.readableBytes)
            }
        }
        guard case .success(let file) = result else {
            sink.discard()
            // The bot's own scratch copy refused a write (its disk is full): say so, not that a receiver stopped.
            if let failure = sink.writeFailure {
                self.bot.logger.warning("a download's scratch copy could not be written", metadata: [
                    "file": "\(name)", "path": "\(scratch)", "error": "\(failure)"])
                let refusal = Refusal(.failed(problem: "I cannot write a scratch copy of it (\(failure))."))
                return try await reply.send(Self.text(Self.render(refusal)))
            }
            if case .failure(let refusal) = result { try await reply.send(Self.text(Self.render(refusal))) }
            return
        }
        try sink.commit()
        if shown { try await reply.edit(Self.text("✅ Fetched **\(Self.escape(name))**; sending it…")) }
        // Discord renames attachments (spaces to `_`, other characters dropped): say which name it will show.
        let shownAs = AttachmentName.displayed(name)
        let renamed = shownAs == name ? "" : " — Discord shows it as \(Self.code(shownAs))"
        do {
            try await reply.send(
                Self.text("📄 **\(Self.escape(name))** (\(Format.bytes(file.size)))\(renamed)"),
                files: [try FileUpload.file(path: scratch, filename: name)])
        } catch let error as DiscordRESTError where error.status == 413 || error.code == 40005 {
            // The limit known here was out of date (the guild lost boosts): ask again next time, and link it now.
            if let guild = invocation.guildID { self.guildLimits.forget(guild) }
            let now = await self.uploadLimit(invocation)
            try await self.sendLink(row, caller, reply, because: "is \(Format.bytes(row.size)), over this channel's upload limit of \(Format.bytes(now))",
                                    otherwise: Refusal(.overTransferLimit(name: name, size: row.size, limit: now)))
        } catch let error as DiscordRESTError where error.code == 50013 {
            try await self.sendLink(row, caller, reply, because: "cannot be attached here: I lack the Attach Files permission in this channel",
                                    otherwise: Refusal(.failed(problem: "I may not attach files in this channel; an admin can give me the Attach Files permission.")))
        }
    }

    /// A link to `row` (when the web front end runs) saying why it is not attached, else `otherwise`.
    private func sendLink(
        _ row: FileRow, _ caller: Caller, _ reply: CommandReplier, because reason: String, otherwise: Refusal
    ) async throws {
        guard let links = self.links, case .success(let link) = await links.share(row.name, for: caller) else {
            return try await reply.send(Self.text(Self.render(otherwise)))
        }
        try await reply.send(Self.text(
            "📎 **\(Self.escape(row.name))** \(reason); download it here until <t:\(Int(link.expires.timeIntervalSince1970)):f>:\n\(link.url)"))
    }

    /// The channel's upload limit: what the interaction says, else the guild's boost tier, else 10 MiB. Numbers
    /// from the payload that are no size (zero or below) are passed over.
    private func uploadLimit(_ invocation: CommandInvocation) async -> UInt64 {
        if let limit = invocation.attachmentSizeLimit, limit > 0 { return UInt64(limit) }
        guard let guild = invocation.guildID else { return 10 << 20 }
        return UInt64(max(await self.guildLimits.limit(for: guild, rest: self.rest), 1))
    }

    // MARK: - List

    func list(_ invocation: CommandInvocation, _ caller: Caller, _ reply: CommandReplier) async throws {
        try await reply.send(await self.page(filter: invocation.string("filter"), page: 0, for: caller))
    }

    func page(filter: String?, page: Int, for caller: Caller) async -> MessagePayload {
        let listing: FilePage
        switch await self.bot.list(filter: filter, page: page, for: caller) {
        case .failure(let refusal): return Self.text(Self.render(refusal))
        case .success(let p): listing = p
        }
        var lines = listing.rows.map { f -> String in
            let health = f.isFullyReplicated ? "✅" : "⚠️"
            let date = f.uploadedAt.map { "<t:\(Int($0.timeIntervalSince1970)):d>" } ?? "-"
            let who = f.uploader.map(Self.mention) ?? "-"
            return "\(Self.code(f.name)) — \(Format.bytes(f.size)) · \(date) · \(who) · \(health) \(f.nodes.count)/\(f.replicasWanted)"
        }
        if listing.rows.isEmpty {
            lines = [listing.filter.map { "No file matches '\(Self.escape($0))'." }
                ?? "No files yet. Upload one with `!upload` or `/upload`."]
        }
        if !listing.unreachableNodes.isEmpty {
            lines.insert("⚠️ Unreachable: \(listing.unreachableNodes.joined(separator: ", ")); files only there are not shown.", at: 0)
        }
        var components: [MessageComponent] = []
        if listing.pageCount > 1 {
            // A press sends back only the button's id, so the id carries the whole filter; a filter cut to fit would
            // turn to a page of another listing. One too long for an id gets no buttons, and says so.
            let filter = listing.filter ?? ""
            let ids = (previous: "list:\(listing.page - 1):\(filter)", next: "list:\(listing.page + 1):\(filter)")
            if max(MessageLimits.length(ids.previous), MessageLimits.length(ids.next)) <= MessageLimits.customID {
                components = [.row([
                    MessageComponent(type: .button, style: .secondary, label: "◀", customID: ids.previous,
                                     disabled: listing.page == 0),
                    MessageComponent(type: .button, style: .secondary, label: "▶", customID: ids.next,
                                     disabled: listing.page + 1 >= listing.pageCount),
                ])]
            } else {
                lines.append("This filter is too long to turn pages with; a shorter one shows the other matches.")
            }
        }
        let count = listing.totalFiles
        let embed = Embed(
            title: listing.filter.map { "Files matching '\(MessageLimits.cut(Self.escape($0), to: 200))'" } ?? "Files",
            description: lines.joined(separator: "\n"),
            footer: .init(text: "Page \(listing.page + 1)/\(listing.pageCount) · \(count) \(count == 1 ? "file" : "files") · \(Format.bytes(listing.totalBytes)) (\(Format.bytes(listing.storedBytes)) with replicas)"))
        return MessagePayload(embeds: [embed], components: components)
    }

    func turnPage(_ interaction: Interaction, rest: DiscordRESTClient) async throws {
        guard let user = interaction.invoker else { return }
        let parts = (interaction.data?.customID ?? "").split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        let page = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let filter = parts.count > 2 && !parts[2].isEmpty ? String(parts[2]) : nil
        switch self.caller(user: user, guild: interaction.guildID, roles: interaction.member?.roles ?? []) {
        case .failure(let refusal):
            try await rest.respond(to: interaction, .message(Self.text(Self.render(refusal), ephemeral: true)))
        case .success(let caller):
            // Acknowledge first: listing asks every node, and Discord fails the press after 3 seconds.
            try await rest.respond(to: interaction, .deferredUpdate())
            let payload = await self.page(filter: filter, page: page, for: caller)
            try await rest.editOriginalResponse(applicationID: interaction.applicationID, token: interaction.token, payload)
        }
    }

    // MARK: - Delete

    func delete(_ invocation: CommandInvocation, _ caller: Caller, _ reply: CommandReplier) async throws {
        let name = invocation.string("name") ?? ""
        let row: FileRow
        switch await self.bot.deletable(name, by: caller) {
        case .failure(let refusal):
            let ephemeral = if case .notAllowed = refusal.reason { true } else { false }
            return try await reply.send(Self.text(Self.render(refusal), ephemeral: ephemeral))
        case .success(let found): row = found
        }
        if invocation.isSlashCommand {
            let answers = DeleteConfirmation.question(name: row.name, user: caller.id, now: Date())
            try await reply.send(MessagePayload(
                content: "Delete **\(Self.escape(row.name))** (\(Format.bytes(row.size))) from every node?",
                components: [.row([.button("Delete", id: answers.yes.customID, style: .danger),
                                   .button("Cancel", id: answers.no.customID)])]))
            return
        }
        switch await self.bot.delete(name, by: caller) {
        case .failure(let refusal): try await reply.send(Self.text(Self.render(refusal)))
        case .success: try await reply.send(Self.text("🗑️ Deleted **\(Self.escape(name))**."))
        }
    }

    func confirmDelete(_ interaction: Interaction, rest: DiscordRESTClient) async throws {
        guard let user = interaction.invoker else { return }
        let customID = interaction.data?.customID ?? ""
        // Discord does not check that a pressed id came from the message: one that did not is not answered.
        let onMessage = (interaction.message?.components ?? []).flatMap { $0.components ?? [] }.contains { $0.customID == customID }
        guard let answer = DeleteConfirmation(customID: customID), onMessage else {
            // A button of an older bot, whose questions were kept in its memory: the question cannot be answered.
            return try await rest.respond(to: interaction, .message(Self.text(
                "This question can no longer be answered; use /delete again.", ephemeral: true)))
        }
        guard answer.user == user.id.rawValue else {
            return try await rest.respond(to: interaction, .message(Self.text(
                "Only the person who asked can answer this.", ephemeral: true)))
        }
        guard answer.isOpen(at: Date()) else {
            return try await rest.respond(to: interaction, .update(MessagePayload(
                content: "This question expired (after \(Int(DeleteConfirmation.lifetime / 60)) minutes); nothing was deleted. Use /delete again.",
                components: [])))
        }
        let caller: Caller
        switch self.caller(user: user, guild: interaction.guildID, roles: interaction.member?.roles ?? []) {
        case .failure(let refusal):
            return try await rest.respond(to: interaction, .message(Self.text(Self.render(refusal), ephemeral: true)))
        case .success(let found): caller = found
        }
        // Acknowledge before deleting: with a slow node the delete outlasts Discord's 3 seconds, and a press that
        // "failed" must not have deleted anything the user was not told about.
        try await rest.respond(to: interaction, .deferredUpdate())
        let text: String
        if let name = await self.bot.storedName(for: caller, where: answer.isAbout) {
            if answer.confirmed {
                switch await self.bot.delete(name, by: caller) {
                case .success: text = "🗑️ Deleted **\(Self.escape(name))**."
                case .failure(let refusal): text = "❌ Could not delete **\(Self.escape(name))**: " + Self.render(refusal)
                }
            } else {
                text = "Kept **\(Self.escape(name))**."
            }
        } else {
            text = "That file is no longer stored (deleted or renamed since you asked)."
        }
        try await rest.editOriginalResponse(
            applicationID: interaction.applicationID, token: interaction.token, MessagePayload(content: text, components: []))
    }

    // MARK: - Links

    private static let noWeb = "Links need the bot's web front end, which is not running."

    func share(_ invocation: CommandInvocation, _ caller: Caller, _ reply: CommandReplier) async throws {
        guard let links = self.links else { return try await reply.send(Self.text(Self.noWeb, ephemeral: true)) }
        var name = invocation.string("name") ?? ""
        var hours = invocation.arguments["hours"].flatMap { Double($0.description) }
        // `!link NAME HOURS`: the prefix form's last word, when it is a number and the whole is not a stored name.
        if hours == nil, !invocation.isSlashCommand, let last = name.split(separator: " ").last, let h = ShareLinks.typedHours(last),
            name.contains(" "), await self.bot.cluster.knownFile(name, in: caller.space) == nil
        {
            hours = h
            name = String(name.dropLast(last.count)).trimmingCharacters(in: .whitespaces)
        }
        switch await links.share(name, hours: hours, for: caller) {
        case .failure(let refusal): try await reply.send(Self.text(Self.render(refusal)))
        case .success(let link):
            try await reply.send(Self.text(
                "🔗 **\(Self.escape(name))** until <t:\(Int(link.expires.timeIntervalSince1970)):f>:\n\(link.url)"))
        }
    }

    func unshare(_ invocation: CommandInvocation, _ caller: Caller, _ reply: CommandReplier) async throws {
        guard let links = self.links else { return try await reply.send(Self.text(Self.noWeb, ephemeral: true)) }
        let name = invocation.string("name") ?? ""
        switch await links.unshare(name, by: caller) {
        case .failure(let refusal): try await reply.send(Self.text(Self.render(refusal)))
        case .success: try await reply.send(Self.text("🔒 Every link to **\(Self.escape(name))** is revoked."))
        }
    }

    func uploadLink(_ invocation: CommandInvocation, _ caller: Caller, _ reply: CommandReplier) async throws {
        guard let links = self.links else { return try await reply.send(Self.text(Self.noWeb, ephemeral: true)) }
        let link = await links.uploadLink(for: caller, channel: invocation.channelID.rawValue)
        // Only for the asker where Discord allows it: the page stores files as theirs.
        try await reply.send(Self.text(
            "📤 Upload page for <@\(caller.id)> (works once, until <t:\(Int(link.expires.timeIntervalSince1970)):t>):\n\(link.url)",
            ephemeral: true))
    }

    /// Says in the channel where an upload page was asked for that it was used.
    public func announce(_ notice: WebUploadNotice) async {
        guard let channel = notice.channel else { return }
        let row = notice.stored.row
        let text = "📥 <@\(notice.user)> stored **\(Self.escape(row.name))** (\(Format.bytes(row.size)), sha256 `\(row.sha256?.prefix(16) ?? "?")…`) through the upload page, on \(row.nodes.joined(separator: ", "))."
        _ = try? await self.rest.createMessage(channel: Snowflake(channel), MessagePayload(content: text))
    }

    // MARK: - Status

    func status(_ invocation: CommandInvocation, _ caller: Caller, _ reply: CommandReplier) async throws {
        let fields = await self.bot.status().prefix(25).map { node -> Embed.Field in
            let value: String
            if node.isUp {
                let free = node.freeBytes.map { Format.bytes($0) + " free" } ?? "free space unknown"
                let latency = node.latency.map(Format.latency) ?? "-"
                value = "🟢 up · \(Format.bytes(node.usedBytes)) used · \(free) · \(node.activeTransfers) transfers · \(latency)"
            } else {
                value = "🔴 down · \(node.problem ?? "not answering")"
            }
            let shown = node.isDraining ? value + " · 🟡 draining: no new files until `!cluster undrain \(node.name)`" : value
            return Embed.Field(name: String(node.name.prefix(256)), value: String(shown.prefix(1024)))
        }
        try await reply.send(MessagePayload(embeds: [Embed(title: "Nodes", fields: Array(fields))]))
    }

    // MARK: - Operators

    /// `!cluster drain NODE` and friends: acknowledged at once, answered with the summary when done (a drain or a
    /// scrub reads every replica it moves or checks: minutes on a big cluster).
    func cluster(_ invocation: CommandInvocation, _ caller: Caller, _ reply: CommandReplier) async throws {
        guard let action = invocation.string("action").flatMap({ ClusterAction(rawValue: $0.lowercased()) }) else {
            return try await reply.send(Self.text(ClusterAction.usage, ephemeral: true))
        }
        let node = invocation.string("node")
        guard caller.isOperator || !self.bot.settings.adminRoles.isDisjoint(with: caller.roles) else {
            return try await reply.send(Self.text(Self.render(Refusal(.adminOnly(command: "cluster \(action.rawValue)"))), ephemeral: true))
        }
        try await reply.send(Self.text("🛠️ Running **cluster \(action.rawValue)**\(node.map { " \(Self.escape($0))" } ?? "")…"))
        let lines = LineBuffer()
        switch await self.bot.maintain(action, node: node, by: caller, progress: { lines.add($0) }) {
        case .failure(let refusal):
            try await reply.edit(Self.text("❌ " + Self.render(refusal)))
        case .success(nil):
            try await reply.edit(Self.text("✅ **\(Self.escape(node ?? ""))** is in service again."))
        case .success(let report?):
            var text = "\(report.problems.isEmpty ? "✅" : "⚠️") cluster \(action.rawValue): \(report)."
            let changes = lines.all.suffix(10).map { "• " + Self.escape($0) }
            if !changes.isEmpty { text += "\n" + changes.joined(separator: "\n") }
            for problem in report.problems.prefix(5) { text += "\n❌ " + Self.escape(problem) }
            try await reply.edit(Self.text(String(text.prefix(1900))))
        }
    }
}
