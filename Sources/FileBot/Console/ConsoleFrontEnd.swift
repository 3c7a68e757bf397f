import Balancer
import DiscordKit
import Foundation

/// The bot's commands in a terminal or a pipe: the same use cases and names as on Discord (`!upload`,
/// `!download`, `!listar`/`!list`, `!apagar`/`!delete`, `!status`, `!help`), answered in plain text. Local paths
/// are relative to the process's working directory; the caller is the local operator, in the `console` space.
public struct ConsoleFrontEnd: Sendable {
    let bot: FileBot
    let links: ShareLinks?
    let parser: PrefixCommandParser
    let caller: Caller

    /// - Parameters:
    ///   - links: share links and upload pages (`nil`: no web front end, the link commands say so).
    ///   - user: who is at the console (the process's user by default), recorded as the uploader.
    public init(bot: FileBot, links: ShareLinks? = nil, prefixes: [String] = ["!"], user: String? = nil) {
        let user = user ?? NSUserName()
        self.bot = bot
        self.links = links
        self.parser = PrefixCommandParser(prefixes: prefixes)
        self.caller = Caller(id: user, displayName: user, isOperator: true, space: .console)
    }

    private var prefix: String { self.parser.prefixes.first ?? "!" }

    /// The answer to one line (empty for an empty line).
    public func handle(_ line: String) async -> String {
        guard let parsed = self.parser.parse(line) else {
            return line.trimmingCharacters(in: .whitespaces).isEmpty ? "" : "Commands start with \(self.prefix); try \(self.prefix)help."
        }
        let command: PrefixCommand
        switch parsed {
        case .failure(let error): return "Could not read that command: \(error)."
        case .success(let c): command = c
        }
        guard let known = BotCommand.named(command.name) else {
            return "Unknown command \(self.prefix)\(command.name). Try \(self.prefix)help."
        }
        let args = command.arguments
        switch known.name {
        case BotCommand.upload.name: return await self.upload(args)
        case BotCommand.download.name: return await self.download(args)
        case BotCommand.list.name: return await self.list(args.isEmpty ? nil : args.joined(separator: " "))
        case BotCommand.delete.name: return await self.delete(args)
        case BotCommand.status.name: return await self.status()
        case BotCommand.share.name: return await self.share(args)
        case BotCommand.unshare.name: return await self.unshare(args)
        case BotCommand.uploadLink.name: return await self.uploadLink()
        case BotCommand.cluster.name: return await self.cluster(args)
        default: return self.help()
        }
    }

    private static func render(_ refusal: Refusal) -> String { refusal.sentence() }

    // MARK: - Commands

    private func usage(_ command: BotCommand) -> String {
        switch command.name {
        case BotCommand.upload.name: "\(self.prefix)upload PATH [NAME]"
        case BotCommand.download.name: "\(self.prefix)download NAME [DEST]"
        case BotCommand.list.name: "\(self.prefix)list [FILTER]"
        case BotCommand.delete.name: "\(self.prefix)delete NAME"
        case BotCommand.share.name: "\(self.prefix)link NAME [HOURS]"
        case BotCommand.unshare.name: "\(self.prefix)unshare NAME"
        case BotCommand.cluster.name: "\(self.prefix)cluster drain|undrain NODE, rebalance, scrub"
        default: "\(self.prefix)\(command.name)"
        }
    }

    private func help() -> String {
        let rows = BotCommand.all.map { command -> (String, String) in
            let usage = self.usage(command)
            // A usage line may spell the command by an alias (`!link` for `share`): the others are named instead.
            let verb = usage.dropFirst(self.prefix.count).prefix { $0 != " " }
            let others = ([command.name] + command.aliases).filter { $0 != verb }
            let aliases = others.isEmpty ? "" : " (also " + others.map { self.prefix + $0 }.joined(separator: ", ") + ")"
            return (usage, command.summary + aliases)
        }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }

    private static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private func upload(_ args: [String]) async -> String {
        guard !args.isEmpty else {
            // As on Discord, where `!upload` without an attachment answers with the upload page: with no path, the
            // page is the other way in (for a file on another machine, or one a browser should send).
            guard self.links != nil else { return "Usage: \(self.usage(.upload))" }
            return "Usage: \(self.usage(.upload)), or send a file through this page.\n" + (await self.uploadLink())
        }
        // `PATH [NAME]`, where an unquoted path may hold spaces: the longest run of words that is a file.
        guard let (path, rest) = ConsoleArguments.longestLeading(args, where: Self.isFile) else {
            let whole = args.joined(separator: " ")
            if let directory = [whole, args[0]].first(where: Self.isDirectory) {
                return "\(directory) is a directory: \(self.prefix)upload takes one file."
            }
            let hint = args.count > 1 ? " Quote a path that has spaces: \(self.prefix)upload \"\(whole)\"" : ""
            return "No file at \(args[0]).\(hint)"
        }
        let requested = rest.isEmpty ? (path as NSString).lastPathComponent : rest.joined(separator: " ")
        // A regular file announces its size; a pipe or a device (`/dev/stdin`, a FIFO) has none and streams until
        // its end, cut off at the per-file limit (its stat size of 0 would refuse it as having grown). So does a
        // regular file of size 0: empty, or one the kernel makes up as it is read (`/proc/cpuinfo`, sysfs).
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let stated = attributes?[.type] as? FileAttributeType == .typeRegular
            ? (attributes?[.size] as? NSNumber)?.uint64Value : nil
        let size = stated == 0 ? nil : stated
        let result = await self.bot.upload(requested, size: size, by: self.caller) { FileChunks(path: path) }
        switch result {
        case .failure(let refusal): return Self.render(refusal)
        case .success(let stored):
            let row = stored.row
            var answer = "Uploaded \(row.name) (\(Format.bytes(row.size)), sha256 \(row.sha256?.prefix(12) ?? "")…) to \(row.nodes.joined(separator: ", "))."
            if stored.wasCleaned { answer += " The name was cleaned from '\(stored.requestedName)'." }
            if let existing = stored.collidedWith { answer += " '\(existing)' existed, so it was kept as '\(row.name)'." }
            return answer
        }
    }

    private func download(_ args: [String]) async -> String {
        guard !args.isEmpty else { return "Usage: \(self.usage(.download))" }
        // `NAME [DEST]`: the longest run of words that is a stored name; else the first word.
        let known = Set(await self.bot.names(matching: "", for: self.caller, limit: .max))
        let (name, rest) = ConsoleArguments.longestLeading(args, where: known.contains) ?? (args[0], Array(args.dropFirst()))
        let row: FileRow
        switch await self.bot.find(name, for: self.caller) {
        case .failure(let refusal): return Self.render(refusal)
        case .success(let found): row = found
        }
        var destination = rest.isEmpty ? name : rest.joined(separator: " ")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            destination += (destination.hasSuffix("/") ? "" : "/") + name
        }
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            return "Cannot write \(destination): it is a directory."
        }
        let sink: FileSink
        do { sink = try await FileSink.open(destination: destination) } catch { return "Cannot write \(destination): \(error)." }
        switch await self.bot.download(row.name, for: self.caller, to: { try await sink.write($0) }) {
        case .failure(let refusal):
            sink.discard()
            if let failure = sink.writeFailure { return "Cannot write \(destination): \(failure)." }
            return Self.render(refusal)
        case .success(let file):
            do {
                try sink.commit()
            } catch {
                sink.discard()
                return "Cannot write \(destination): \(error)."
            }
            return "Downloaded \(name) (\(Format.bytes(file.size))) to \(destination); checksum verified."
        }
    }

    private func list(_ filter: String?) async -> String {
        let page: FilePage
        // The console shows every match in one page: one listing of the space, where asking page by page listed it
        // again for each page (a space of 100,000 files was thousands of listings of every node).
        switch await self.bot.list(filter: filter, pageSize: .max, for: self.caller) {
        case .failure(let refusal): return Self.render(refusal)
        case .success(let p): page = p
        }
        let rows = page.rows
        var lines: [String] = []
        if rows.isEmpty {
            lines.append(filter.map { "No file matches '\($0)'." } ?? "No files yet. Add one with \(self.prefix)upload PATH.")
        }
        for f in rows {
            let date = f.uploadedAt.map(Format.date) ?? "-"
            lines.append("\(f.name)  \(Format.bytes(f.size))  \(date)  \(f.uploader ?? "-")  replicas \(f.nodes.count)/\(f.replicasWanted)")
        }
        if !rows.isEmpty {  // "0 files, 0 B" would only repeat the sentence above
            lines.append("\(page.totalFiles) \(page.totalFiles == 1 ? "file" : "files"), \(Format.bytes(page.storedBytes)) stored with replicas.")
        }
        if !page.unreachableNodes.isEmpty {
            lines.append("Warning: \(page.unreachableNodes.joined(separator: ", ")) could not be reached; files only there are not shown.")
        }
        return lines.joined(separator: "\n")
    }

    private func delete(_ args: [String]) async -> String {
        guard !args.isEmpty else { return "Usage: \(self.usage(.delete))" }
        let name = args.joined(separator: " ")
        switch await self.bot.delete(name, by: self.caller) {
        case .failure(let refusal): return Self.render(refusal)
        case .success: return "Deleted \(name)."
        }
    }

    private static let noWeb = "Links need the web front end, which is not running (see --http-address)."

    private func share(_ args: [String]) async -> String {
        guard let links = self.links else { return Self.noWeb }
        guard !args.isEmpty else { return "Usage: \(self.usage(.share))" }
        // `NAME [HOURS]`: a last word that is a number is the lifetime, unless the whole line is a stored name.
        let known = Set(await self.bot.names(matching: "", for: self.caller, limit: .max))
        var words = args
        var hours: Double?
        if words.count > 1, let h = ShareLinks.typedHours(words[words.count - 1]), !known.contains(words.joined(separator: " ")) {
            hours = h
            words.removeLast()
        }
        switch await links.share(words.joined(separator: " "), hours: hours, for: self.caller) {
        case .failure(let refusal): return Self.render(refusal)
        case .success(let link):
            // The URL on a line of its own, so it can be copied or piped.
            return "Link to \(link.name ?? "") until \(Format.date(link.expires)):\n\(link.url)"
        }
    }

    private func unshare(_ args: [String]) async -> String {
        guard let links = self.links else { return Self.noWeb }
        guard !args.isEmpty else { return "Usage: \(self.usage(.unshare))" }
        let name = args.joined(separator: " ")
        switch await links.unshare(name, by: self.caller) {
        case .failure(let refusal): return Self.render(refusal)
        case .success: return "Every link to \(name) is revoked."
        }
    }

    private func uploadLink() async -> String {
        guard let links = self.links else { return Self.noWeb }
        let link = await links.uploadLink(for: self.caller)
        return "Upload page (works once, until \(Format.date(link.expires))):\n\(link.url)"
    }

    private func cluster(_ args: [String]) async -> String {
        guard let action = args.first.flatMap({ ClusterAction(rawValue: $0.lowercased()) }), args.count == (action.needsNode ? 2 : 1) else {
            return ClusterAction.usage.replacingOccurrences(of: "cluster ", with: "\(self.prefix)cluster ")
        }
        let lines = LineBuffer()
        switch await self.bot.maintain(action, node: args.dropFirst().first, by: self.caller, progress: { lines.add($0) }) {
        case .failure(let refusal): return Self.render(refusal)
        case .success(let report):
            guard let report else { return "\(args[1]) is in service again." }
            return (lines.all + ["Done: \(report)."] + report.problems.map { "Problem: \($0)" }).joined(separator: "\n")
        }
    }

    private func status() async -> String {
        await self.bot.status().map { node in
            let draining = node.isDraining ? "; draining: no new files until !cluster undrain \(node.name)" : ""
            guard node.isUp else { return "\(node.name): DOWN (\(node.problem ?? "not answering"))\(draining)" }
            let free = node.freeBytes.map { Format.bytes($0) + " free" } ?? "free space unknown"
            let latency = node.latency.map(Format.latency) ?? "-"
            return "\(node.name): up, \(Format.bytes(node.usedBytes)) used, \(free), \(node.activeTransfers) transfers, latency \(latency)\(draining)"
        }.joined(separator: "\n")
    }
}
