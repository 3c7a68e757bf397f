public import Balancer
import CoreMetrics
import FTPKit
import Foundation
public import Logging
public import NIOCore

/// The file bot's use cases — upload, download, list, delete, status, name completion — for every front end
/// (the console, Discord, the web). Each acts for a ``Caller`` inside the caller's space and answers with view
/// models or a ``Refusal``, never with text: front ends only render.
public struct FileBot: Sendable {
    /// The cluster the files live on.
    public let cluster: Cluster
    /// Limits, quotas, roles and naming rules.
    public let settings: FileBotSettings
    let logger: Logger

    /// The use cases over `cluster` with `settings`.
    public init(cluster: Cluster, settings: FileBotSettings = FileBotSettings(), logger: Logger = Logger(label: "FileBot")) {
        self.cluster = cluster
        self.settings = settings
        self.logger = logger
    }

    // MARK: - Upload

    /// Stores a file under `requested` (cleaned if needed) in the caller's space. The name and the room in the
    /// caller's quota are reserved before `open` is called, so a refused upload never starts reading its source,
    /// and concurrent uploads of one name or into one quota cannot both pass.
    /// - Parameters:
    ///   - size: the size the source announces, when known (a source delivering more is cut off and refused).
    ///   - collision: what to do when the name exists; the settings' policy when `nil`.
    public func upload<Source: AsyncSequence & Sendable>(
        _ requested: String, size: UInt64?, by caller: Caller, collision: NameCollisionPolicy? = nil,
        from open: () async throws -> Source
    ) async -> Result<StoredFile, Refusal> where Source.Element == ByteBuffer {
        guard let name = FileNames.clean(requested) else { return .failure(Refusal(.invalidName(requested))) }
        if let size, size > self.settings.maxFileSize {
            return .failure(Refusal(.tooLarge(name: name, size: size, limit: self.settings.maxFileSize)))
        }
        let reservation: UploadReservation
        do {
            reservation = try await self.cluster.reserve(
                name, in: caller.space, size: size, uploader: caller.id, collision: collision ?? self.settings.collision,
                quota: self.settings.quota)
        } catch {
            return .failure(await self.refusal(for: error, name: name, size: size, caller: caller))
        }
        do {
            let source = SizeLimitedSequence(
                base: try await open(), limit: self.settings.maxFileSize, name: name, announced: size)
            let file = try await self.cluster.upload(reservation, from: source)
            Counter(label: "seed_cluster_bytes_total", dimensions: [("direction", "stored")]).increment(by: Int64(clamping: file.size))
            self.logger.info("stored", metadata: [
                "space": "\(caller.space)", "file": "\(file.name)", "bytes": "\(file.size)", "by": "\(caller.id)"])
            return .success(StoredFile(
                row: FileRow(file, replicasWanted: self.cluster.replicas), requestedName: requested,
                wasCleaned: name != requested, collidedWith: file.name != name ? name : nil))
        } catch {
            await self.cluster.cancel(reservation)  // no-op when the upload used it
            // What the upload brought on itself (a sender that stopped, a size over the limit or the quota) is no
            // fault of the cluster's: no warning.
            self.logger.log(level: Self.isUploadsOwnDoing(error) ? .info : .warning, "upload failed", metadata: [
                "space": "\(caller.space)", "file": "\(name)", "by": "\(caller.id)", "error": "\(error)"])
            return .failure(await self.refusal(for: error, name: name, size: size, caller: caller))
        }
    }

    /// Whether an upload failed for what it brought itself rather than for the cluster or a node.
    private static func isUploadsOwnDoing(_ error: any Error) -> Bool {
        if error is Refusal { return true }
        switch (error as? ClusterError)?.code {
        case .quotaExceeded, .sizeExceeded, .incompleteSource, .invalidName, .nameTaken, .nameBusy: return true
        default: return false
        }
    }

    private func refusal(for error: any Error, name: String, size: UInt64?, caller: Caller) async -> Refusal {
        guard let error = error as? ClusterError else { return PlainWords.refusal(for: error) }
        switch error.code {
        case .invalidName: return Refusal(.invalidName(name))
        case .nameTaken: return Refusal(.nameTaken(name))
        case .nameBusy: return Refusal(.nameBusy(name))
        case .quotaExceeded, .sizeExceeded:
            let used = await self.cluster.usage(of: caller.id, in: caller.space)
            if let maxFiles = self.settings.quota?.maxFiles, used.files >= maxFiles {
                return Refusal(.tooManyFiles(name: name, limit: maxFiles))
            }
            if let limit = self.settings.quota?.maxBytes {
                return Refusal(.overQuota(name: name, size: size, used: used.bytes, quota: limit))
            }
            return Refusal(.tooLarge(name: name, size: size ?? 0, limit: self.settings.maxFileSize))
        default: return PlainWords.refusal(for: error)
        }
    }

    // MARK: - Finding and downloading

    /// The stored file `name` in the caller's space; a refusal with the closest names when there is none.
    public func find(_ name: String, for caller: Caller) async -> Result<FileRow, Refusal> {
        await self.cluster.syncCatalog()  // what other bot processes sharing the catalog stored or deleted
        if let known = await self.cluster.knownFile(name, in: caller.space) {  // a lookup, not a walk of the space
            return .success(FileRow(known, replicasWanted: self.cluster.replicas))
        }
        do {
            let listing = try await self.cluster.list(in: caller.space)
            if let found = listing.files.first(where: { $0.name == name }) {
                return .success(FileRow(found, replicasWanted: self.cluster.replicas))
            }
            return .failure(Refusal(.notFound(
                name: name, suggestions: FileNames.suggestions(for: name, among: listing.files.map(\.name)),
                unreachableNodes: listing.unreachableNodes)))
        } catch {
            return .failure(PlainWords.refusal(for: error))
        }
    }

    /// The stored name in the caller's space that `matches` says is the one: looked up in the catalog, then on the
    /// nodes (a file they hold that the catalog does not record); `nil` when there is none.
    func storedName(for caller: Caller, where matches: (String) -> Bool) async -> String? {
        await self.cluster.syncCatalog()  // what other bot processes sharing the catalog stored or deleted
        if let known = await self.cluster.knownFiles(in: caller.space).first(where: { matches($0.name) }) { return known.name }
        return try? await self.cluster.list(in: caller.space).files.first { matches($0.name) }?.name
    }

    /// Streams the file to `consumer` (from another replica where one fails) and verifies its checksum at the
    /// end: the consumer's data is provisional until this returns success.
    public func download(
        _ name: String, for caller: Caller, from offset: UInt64 = 0, length: UInt64? = nil,
        to consumer: @Sendable (ByteBuffer) async throws -> Void
    ) async -> Result<FileRow, Refusal> {
        let receiver = CallerFailureBox()
        do {
            let file = try await self.cluster.download(name, in: caller.space, from: offset, length: length) { chunk in
                do {
                    try await consumer(chunk)
                } catch {
                    receiver.set(error)
                    throw error
                }
            }
            Counter(label: "seed_cluster_bytes_total", dimensions: [("direction", "fetched")])
                .increment(by: Int64(clamping: file.size - min(offset, file.size)))
            return .success(FileRow(file, replicasWanted: self.cluster.replicas))
        } catch let error as ClusterError where error.code == .notFound {
            return await self.find(name, for: caller).flatMap { _ in .failure(PlainWords.refusal(for: error)) }
        } catch where receiver.error != nil {
            self.logger.debug("download stopped by its receiver", metadata: [
                "space": "\(caller.space)", "file": "\(name)", "error": "\(error)"])
            return .failure(Refusal(.receiverStopped(name: name)))
        } catch {
            self.logger.warning("download failed", metadata: [
                "space": "\(caller.space)", "file": "\(name)", "error": "\(error)"])
            return .failure(PlainWords.refusal(for: error))
        }
    }

    // MARK: - Listing

    /// One page of the caller's space, of `pageSize` rows (the settings' page size when `nil`; `.max` for everything
    /// in one page, as the console shows it). A `filter` keeps names containing it, or the names it matches when it
    /// is a shell pattern such as `*.pdf` (``NameFilter``); either ignores case.
    public func list(filter: String? = nil, page: Int = 0, pageSize: Int? = nil, for caller: Caller) async
        -> Result<FilePage, Refusal>
    {
        let listing: ClusterListing
        do {
            listing = try await self.cluster.list(in: caller.space)
        } catch {
            return .failure(PlainWords.refusal(for: error))
        }
        let filter = filter.flatMap { $0.isEmpty ? nil : $0 }
        let rule = NameFilter(filter)
        let matching = listing.files.filter { rule?.matches($0.name) ?? true }
        let size = max(1, pageSize ?? self.settings.pageSize)
        let pages = max(1, matching.count / size + (matching.count % size == 0 ? 0 : 1))
        let current = min(max(page, 0), pages - 1)
        return .success(FilePage(
            rows: matching.dropFirst(current * size).prefix(size).map { FileRow($0, replicasWanted: self.cluster.replicas) },
            page: current, pageCount: pages, filter: filter, totalFiles: listing.files.count,
            // Saturating: sizes found on nodes are the nodes' word.
            totalBytes: listing.files.reduce(0) { $0.addingClamped($1.size) },
            storedBytes: listing.files.reduce(0) { $0.addingClamped($1.size.multipliedClamped(by: UInt64(max(1, $1.nodes.count)))) },
            matchingFiles: matching.count, unreachableNodes: listing.unreachableNodes))
    }

    /// Stored names for completion as the caller types: names starting with `typed` first, then names containing
    /// it (any case). From the catalog only: completion must answer quickly and ask no node.
    public func names(matching typed: String, for caller: Caller, limit: Int = 25) async -> [String] {
        await self.cluster.knownNames(in: caller.space, matching: typed, limit: limit)
    }

    // MARK: - Deleting

    /// Whether the caller may delete `name`: it exists, and they uploaded it, are an operator or have an admin role.
    public func deletable(_ name: String, by caller: Caller) async -> Result<FileRow, Refusal> {
        await self.find(name, for: caller).flatMap { row in
            row.uploader == caller.id || caller.isOperator || !self.settings.adminRoles.isDisjoint(with: caller.roles)
                ? .success(row) : .failure(Refusal(.notAllowed(name: name, owner: row.uploader)))
        }
    }

    /// Deletes `name` from every node, if the caller may (checked again now, not when a confirmation was asked).
    public func delete(_ name: String, by caller: Caller) async -> Result<FileRow, Refusal> {
        let row: FileRow
        switch await self.deletable(name, by: caller) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let found): row = found
        }
        do {
            // Only the version whose uploader was checked: a newer one uploaded meanwhile by someone else stays.
            try await self.cluster.delete(name, in: caller.space, version: row.version.isEmpty ? nil : row.version)
            self.logger.info("deleted", metadata: ["space": "\(caller.space)", "file": "\(name)", "by": "\(caller.id)"])
            return .success(row)
        } catch {
            self.logger.warning("delete failed", metadata: ["space": "\(caller.space)", "file": "\(name)", "error": "\(error)"])
            return .failure(PlainWords.refusal(for: error))
        }
    }

    // MARK: - Status

    /// Every node's health, checked now.
    /// Runs an operator action on the cluster, for a member of an admin role or the console's operator only;
    /// `progress` gets a line per file changed. `nil` report: the action (undrain) has none.
    public func maintain(
        _ action: ClusterAction, node: String?, by caller: Caller, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) async -> Result<OperationReport?, Refusal> {
        guard caller.isOperator || !self.settings.adminRoles.isDisjoint(with: caller.roles) else {
            return .failure(Refusal(.adminOnly(command: "cluster \(action.rawValue)")))
        }
        if action.needsNode && (node ?? "").isEmpty { return .failure(Refusal(.usage(ClusterAction.usage))) }
        self.logger.notice("cluster command", metadata: ["action": "\(action.rawValue)", "node": "\(node ?? "-")", "by": "\(caller.id)"])
        do {
            switch action {
            case .drain: return .success(try await self.cluster.drain(node ?? "", progress: progress))
            case .undrain:
                try await self.cluster.undrain(node ?? "")
                return .success(nil)
            case .rebalance: return .success(await self.cluster.rebalance(progress: progress))
            case .scrub: return .success(await self.cluster.scrub(progress: progress))
            }
        } catch {
            return .failure(PlainWords.refusal(for: error))
        }
    }

    /// Each node's health, in configuration order.
    public func status() async -> [NodeHealth] {
        await self.cluster.syncCatalog()  // a drain another process started, and the files it moved
        await self.cluster.refresh()
        return await self.cluster.status().map { s in
            NodeHealth(
                name: s.name, isUp: s.isUp, usedBytes: s.load.usedBytes, freeBytes: s.load.freeBytes,
                activeTransfers: s.load.activeTransfers, latency: s.latency,
                problem: s.isUp ? nil : (s.lastError ?? "not answering"), isDraining: s.isDraining)
        }
    }

    /// What the caller keeps in their space (uploads in flight included).
    public func usage(of caller: Caller) async -> SpaceUsage {
        await self.cluster.usage(of: caller.id, in: caller.space)
    }
}
