import Balancer
import DiscordKit
import FTPKit
import Foundation
import NIOCore
import NIOPosix

/// The bot's commands for the console: the same names and answers as on Discord (`!upload`, `!download`,
/// `!listar`/`!list`, `!apagar`/`!delete`, `!status`, `!help`).
struct ConsoleBot: Sendable {
    let cluster: Cluster
    let parser: PrefixCommandParser

    func handle(_ line: String) async -> String {
        guard let parsed = self.parser.parse(line) else {
            return line.trimmingCharacters(in: .whitespaces).isEmpty ? "" : "Commands start with \(self.parser.prefixes.first ?? "!"); try !help."
        }
        let command: PrefixCommand
        switch parsed {
        case .failure(let error): return "Could not read that command: \(error)."
        case .success(let c): command = c
        }
        do {
            switch command.name {
            case "upload", "enviar": return try await self.upload(command.arguments)
            case "download", "baixar": return try await self.download(command.arguments)
            case "listar", "list", "ls": return try await self.list(command.arguments.first)
            case "apagar", "delete", "rm": return try await self.delete(command.arguments)
            case "status": return await self.status()
            case "help", "ajuda": return Self.help
            default: return "Unknown command !\(command.name). Try !help."
            }
        } catch let error as ClusterError {
            return "Failed: \(error.message)."
        } catch {
            return "Failed: \(error)."
        }
    }

    static let help = """
        !upload PATH [NAME]      store a local file in the cluster
        !download NAME [DEST]    fetch a file (to DEST or the current directory)
        !listar [FILTER]         list files (alias !list)
        !apagar NAME             delete a file (alias !delete)
        !status                  health, load and free space of each node
        """

    private func upload(_ args: [String]) async throws -> String {
        guard let path = args.first else { return "Usage: !upload PATH [NAME]" }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return "No file at \(path)."
        }
        let requested = args.count > 1 ? args[1] : (path as NSString).lastPathComponent
        guard let name = FileNames.clean(requested) else { return "'\(requested)' cannot be used as a file name." }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value
        let file = try await self.cluster.upload(
            name, from: FileChunks(path: path), size: size, uploader: NSUserName(), collision: .keepBoth)
        var answer = "Uploaded \(file.name) (\(Self.human(file.size)), sha256 \(file.sha256?.prefix(12) ?? "")…) to \(file.nodes.joined(separator: ", "))."
        if name != requested { answer += " The name was cleaned from '\(requested)'." }
        if file.name != name { answer += " '\(name)' existed, so it was kept as '\(file.name)'." }
        return answer
    }

    private func download(_ args: [String]) async throws -> String {
        guard let name = args.first else { return "Usage: !download NAME [DEST]" }
        let listing = try await self.cluster.list()
        guard listing.files.contains(where: { $0.name == name }) else {
            return self.notFound(name, listing)
        }
        var destination = args.count > 1 ? args[1] : name
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            destination += "/" + name
        }
        let temporary = destination + ".part"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
            let handle = FileHandle(forWritingAtPath: temporary)
        else { return "Cannot write \(destination)." }
        let writer = FileSink(handle: handle)
        do {
            let file = try await self.cluster.download(name) { chunk in try await writer.write(chunk) }
            try handle.close()
            _ = try? FileManager.default.removeItem(atPath: destination)
            try FileManager.default.moveItem(atPath: temporary, toPath: destination)
            return "Downloaded \(name) (\(Self.human(file.size))) to \(destination); checksum verified."
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    private func list(_ filter: String?) async throws -> String {
        let listing = try await self.cluster.list()
        let replicas = await self.cluster.replicas
        let files = listing.files.filter { f in filter.map { f.name.lowercased().contains($0.lowercased()) } ?? true }
        var lines: [String] = []
        if files.isEmpty {
            lines.append(filter == nil ? "No files yet. Add one with !upload PATH." : "No file matches '\(filter!)'.")
        }
        for f in files {
            let date = f.uploadedAt.map { Self.date($0) } ?? "-"
            lines.append("\(f.name)  \(Self.human(f.size))  \(date)  \(f.uploader ?? "-")  replicas \(f.nodes.count)/\(replicas)")
        }
        let total = listing.files.reduce(UInt64(0)) { $0 + $1.size * UInt64(max(1, $1.nodes.count)) }
        lines.append("\(listing.files.count) \(listing.files.count == 1 ? "file" : "files"), \(Self.human(total)) stored with replicas.")
        if !listing.unreachableNodes.isEmpty {
            lines.append("Warning: \(listing.unreachableNodes.joined(separator: ", ")) could not be reached; files only there are not shown.")
        }
        return lines.joined(separator: "\n")
    }

    private func delete(_ args: [String]) async throws -> String {
        guard let name = args.first else { return "Usage: !apagar NAME" }
        let listing = try await self.cluster.list()
        guard listing.files.contains(where: { $0.name == name }) else { return self.notFound(name, listing) }
        try await self.cluster.delete(name)
        return "Deleted \(name)."
    }

    private func status() async -> String {
        await self.cluster.refresh()
        var lines: [String] = []
        for s in await self.cluster.status() {
            let state = s.isUp ? "up" : "DOWN"
            let latency = s.latency.map { String(format: "%.1f ms", Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1000) } ?? "-"
            let free = s.load.freeBytes.map { Self.human($0) + " free" } ?? "free space unknown"
            lines.append("\(s.name): \(state), \(Self.human(s.load.usedBytes)) used, \(free), \(s.load.activeTransfers) transfers, latency \(latency)"
                + (s.isUp ? "" : " (\(s.lastError ?? "unreachable"))"))
        }
        return lines.joined(separator: "\n")
    }

    private func notFound(_ name: String, _ listing: ClusterListing) -> String {
        let close = FileNames.suggestions(for: name, among: listing.files.map(\.name))
        return "No file named '\(name)'." + (close.isEmpty ? "" : " Did you mean: \(close.joined(separator: ", "))?")
    }

    static func human(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func date(_ d: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d) + " UTC"
    }
}

/// A local file read in chunks as it is uploaded (never whole in memory).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        mutating func next() async throws -> ByteBuffer? {
            guard let handle, let data = try handle.read(upToCount: 256 * 1024), !data.isEmpty else {
                try? self.handle?.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: FileHandle(forReadingAtPath: self.path)) }
}

/// Writes downloaded chunks to an open file, on NIO's thread pool: a download's consumer runs on the event loop
/// that reads the data connection, which must never wait for a disk.
final class FileSink: Sendable {
    let handle: FileHandle
    init(handle: FileHandle) { self.handle = handle }
    func write(_ chunk: ByteBuffer) async throws {
        let handle = self.handle
        try await NIOThreadPool.singleton.runIfActive { try handle.write(contentsOf: Data(chunk.readableBytesView)) }
    }
}
