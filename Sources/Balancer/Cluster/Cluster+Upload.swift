import FTPKit
import Foundation
public import NIOCore

extension Cluster {
    /// Holds a name in `space` (and room in `uploader`'s quota) for an upload, before anything is read or sent:
    /// concurrent uploads of one name obey `collision`, and a quota admits exactly what fits. The reservation is
    /// used by ``upload(_:from:)`` (which releases it however it ends) or given back with ``cancel(_:)``.
    /// A `size` is what the source announces: the upload then fails with ``ClusterError/Code/sizeExceeded`` if the
    /// source delivers more, and with ``ClusterError/Code/incompleteSource`` if it ends with less.
    public func reserve(
        _ name: String, in space: Space, size: UInt64? = nil, uploader: String? = nil,
        collision: NameCollisionPolicy = .reject, quota: UploadQuota? = nil
    ) throws(ClusterError) -> UploadReservation {
        guard Self.isValidName(name) else { throw ClusterError(.invalidName, "'\(name)' is not a valid file name") }
        let result = self.book.reserve(
            name: name, in: space, policy: collision, size: size, owner: uploader, quota: quota,
            existing: { self.file($0) }, committedUsage: { self.committedUsage(of: $0, in: $1) })
        switch result {
        case .success(let ticket): return UploadReservation(ticket: ticket, size: size, uploader: uploader)
        case .failure(let error): throw error
        }
    }

    /// Gives back a reservation that will not be used.
    public func cancel(_ reservation: UploadReservation) { self.book.release(reservation.ticket) }

    /// Reserves and uploads in one call; see ``reserve(_:in:size:uploader:collision:quota:)`` and
    /// ``upload(_:from:)``.
    public func upload<Source: AsyncSequence & Sendable>(
        _ name: String, in space: Space = .default, from source: Source, size: UInt64? = nil, uploader: String? = nil,
        collision: NameCollisionPolicy = .reject, quota: UploadQuota? = nil
    ) async throws -> ClusterFile where Source.Element == ByteBuffer {
        let reservation = try self.reserve(
            name, in: space, size: size, uploader: uploader, collision: collision, quota: quota)
        return try await self.upload(reservation, from: source)
    }

    /// Streams `source` to `replicas` nodes at once (the source is read once and never held whole), commits each
    /// copy by renaming it into place, and returns the file as recorded. If a node fails mid-upload, the copy is
    /// made afterwards from a node that succeeded to the next node in the strategy's ranking. The source may not
    /// deliver more than the reservation's size (or what its quota left). The reservation is released at the end,
    /// whatever happens; no temporary copy is left on a node.
    public func upload<Source: AsyncSequence & Sendable>(
        _ reservation: UploadReservation, from source: Source
    ) async throws -> ClusterFile where Source.Element == ByteBuffer {
        guard self.book.holds[reservation.ticket.id] != nil else {
            throw ClusterError(.invalidName, "the reservation for '\(reservation.key.name)' was already used or cancelled")
        }
        defer { self.book.release(reservation.ticket) }
        let key = try await self.holdAcrossProcesses(reservation.ticket)
        var quotaHold: QuotaHold?
        do {
            quotaHold = try await self.holdQuotaAcrossProcesses(reservation, as: key)
            var allowed = reservation
            if let limit = quotaHold?.maxBytes { allowed.ticket.maxBytes = min(allowed.ticket.maxBytes ?? limit, limit) }
            let file = await self.leavingDrainedNodes(try await self.upload(allowed, as: key, from: source))
            await self.releaseHolds(key, reservation, quotaHold)
            return file
        } catch {
            await self.releaseHolds(key, reservation, quotaHold)
            throw error
        }
    }

    private func releaseHolds(_ key: FileKey, _ reservation: UploadReservation, _ quotaHold: QuotaHold?) async {
        if let quotaHold { await self.store?.releaseQuota(quotaHold) }
        await self.store?.release(key, exclusive: reservation.ticket.policy != .replace)
    }

    /// With a catalog other processes share, counts the upload against its owner's quota in the store too, so
    /// uploads from different processes never exceed the quota together (this process's book only sees its own).
    private func holdQuotaAcrossProcesses(_ reservation: UploadReservation, as key: FileKey) async throws(ClusterError)
        -> QuotaHold?
    {
        guard let store = self.store, store.isShared, let hold = self.book.holds[reservation.ticket.id],
            let owner = hold.owner, let quota = hold.quota
        else { return nil }
        return try await store.holdQuota(QuotaHoldRequest(
            space: key.space, owner: owner, quota: quota, size: reservation.size, replacing: hold.replacing))
    }

    /// With a catalog other processes share, holds the upload's name in the store too, so uploads of one name in
    /// different processes obey the collision policy as uploads in one process do; returns the name to use
    /// (another free one for `.keepBoth` when another process holds or has stored the first). A name is held
    /// before the catalog is read again, so a file another process commits under it is always seen.
    private func holdAcrossProcesses(_ ticket: UploadBook.Ticket) async throws(ClusterError) -> FileKey {
        guard let store = self.store, store.isShared else { return ticket.key }
        let exclusive = ticket.policy != .replace
        var key = ticket.key
        var tried: Set<FileKey> = []
        while tried.count < 1000 {
            if try await store.hold(key, exclusive: exclusive) {
                await self.syncCatalog()
                guard exclusive, self.file(key) != nil else { return key }
                await store.release(key, exclusive: exclusive)
                if ticket.policy == .reject { throw ClusterError(.nameTaken, "a file named '\(key.name)' exists already") }
            } else if ticket.policy != .keepBoth {
                throw ClusterError(.nameBusy, "'\(key.name)' is being uploaded right now; try again when it is done")
            }
            tried.insert(key)
            key = self.book.moveToFreeName(ticket, excluding: tried, existing: { self.file($0) })
        }
        throw ClusterError(.nameBusy, "no free name near '\(ticket.key.name)' could be held")
    }

    private func upload<Source: AsyncSequence & Sendable>(
        _ reservation: UploadReservation, as key: FileKey, from source: Source
    ) async throws -> ClusterFile where Source.Element == ByteBuffer {
        let loads = await self.placeableLoads()
        self.sequence += 1
        let ranking = self.strategy.rank(
            PlacementRequest(fileName: key.description, size: reservation.size ?? 0, replicas: self.replicas,
                             sequence: self.sequence),
            nodes: loads)
        let planner = self.planner
        guard let plan = planner.upload(ranking: ranking) else {
            throw ClusterError(.noNodeAvailable, "no storage node is available")
        }
        let targets = plan.targets.compactMap(self.node)
        let temporary = Self.temporaryName(for: key.name)
        self.partsInFlight.insert(FileKey(key.space, temporary))
        defer { self.partsInFlight.remove(FileKey(key.space, temporary)) }

        let streamed = await self.stream(source, to: targets, as: temporary, in: key.space,
                                         maxBytes: reservation.ticket.maxBytes, declared: reservation.size)
        return try await self.withFileLock(key) {
            // Every replica complete under its temporary name first; only then renamed into place, so a failed
            // upload never overwrote an older version anywhere.
            var ready: [ClusterNode] = []
            if case .success(let (total, _)) = streamed {
                for node in targets where await self.hasComplete(temporary, in: key.space, size: total, on: node) {
                    ready.append(node)
                }
                if let first = ready.first {
                    for candidate in plan.spares.compactMap(self.node) where planner.shortfall(ready: ready.count) > 0 {
                        if await self.copy(
                            from: first, first.path(temporary, in: key.space), to: candidate, as: temporary,
                            in: key.space, size: total)
                        {
                            ready.append(candidate)
                        }
                    }
                }
            }
            let committable = planner.commit(ready: ready.map(\.name)).compactMap(self.node)
            var committed: [String] = []
            for node in committable where await self.rename(temporary, to: key, on: node) {
                committed.append(node.name)
                if case .success(let (total, _)) = streamed { await node.account(addedBytes: Int64(total)) }
            }
            for node in planner.leftovers(written: (targets + ready).map(\.name), committed: committed).compactMap(self.node) {
                await self.removeReplica(temporary, in: key.space, on: node, why: "temporary copy of an upload")
            }
            let (total, checksums) = try streamed.get()
            guard !committable.isEmpty, !committed.isEmpty else {
                throw ClusterError(.insufficientReplicas,
                    "'\(key.name)' could be stored on \(ready.count) of the \(self.replicas) required nodes")
            }
            // A rename that failed after the others succeeded leaves fewer replicas: repair restores them.
            try await self.record(ClusterFile(
                space: key.space, name: key.name, size: total, sha256: checksums?.sha256, crc32c: checksums?.crc32c,
                uploader: reservation.uploader,
                uploadedAt: Date(), nodes: committed, version: FileVersion.make()))
            return self.file(key) ?? ClusterFile(space: key.space, name: key.name, size: total, nodes: committed)
        }
    }

    /// One reader, one queue per target; a failed target abandons its queue so the others go on. Returns the
    /// bytes read and their checksums, or why the source failed. A source that ends short of the size it
    /// `declared` failed (a file truncated while it was read, a sender that announced more than it sent): the
    /// nodes are told so and commit nothing, instead of keeping what arrived as if it were the file.
    private func stream<Source: AsyncSequence & Sendable>(
        _ source: Source, to targets: [ClusterNode], as temporary: String, in space: Space, maxBytes: UInt64?,
        declared: UInt64?
    ) async -> Result<(UInt64, UploadChecksums?), any Error> where Source.Element == ByteBuffer {
        let queues = targets.map { _ in ChunkQueue() }
        let digest = BackgroundDigest()
        let logger = self.logger
        let pauses = CounterpartPauses()
        // Set before the nodes' queues fail with the source's error: their uploads then end by the caller's doing.
        let sourceFailure = CallerFailureBox()
        return await withTaskGroup(of: UploadChecksums?.self) { group in
            for (node, queue) in zip(targets, queues) {
                group.addTask {
                    do {
                        _ = try await node.withClient { client in
                            await node.ensureDirectory(space, client: client)
                            do {
                                try await client.upload(queue.sequence, to: node.path(temporary, in: space))
                            } catch {
                                // The node ended an upload whose source had paused: not the node's failure.
                                if let wait = pauses.explainingWait { throw CounterpartPaused(wait: wait, underlying: error) }
                                throw error
                            }
                        }
                    } catch {
                        if let cause = sourceFailure.error {
                            logger.debug("a replica of an upload stopped with its source", metadata: [
                                "node": "\(node.name)", "file": "\(space)/\(temporary)", "source": "\(cause)"])
                        } else {
                            logger.warning("a replica of an upload failed", metadata: [
                                "node": "\(node.name)", "file": "\(space)/\(temporary)", "error": "\(error)"])
                        }
                        queue.abandon()
                    }
                    return nil
                }
            }
            group.addTask { await digest.run() }
            var total: UInt64 = 0
            // Sources such as HTTP bodies come in small pieces; nodes and queues get pieces of at least 256 KiB.
            var pending = ByteBuffer()
            func forward(_ chunk: ByteBuffer) async throws {
                await digest.update(chunk)
                var delivered = false
                for q in queues where await q.push(chunk) { delivered = true }
                if !delivered {
                    if let wait = pauses.explainingWait {
                        throw ClusterError(.insufficientReplicas,
                            "the upload paused for \(wait.components.seconds) seconds and the storage nodes stopped waiting; send it again")
                    }
                    throw ClusterError(.insufficientReplicas, "every storage node failed during the upload")
                }
            }
            do {
                var chunks = source.makeAsyncIterator()
                while true {
                    let asked = ContinuousClock.now
                    guard var chunk = try await chunks.next() else { break }
                    pauses.waited(since: asked)
                    total += UInt64(chunk.readableBytes)
                    if let maxBytes, total > maxBytes {
                        throw ClusterError(.sizeExceeded, "the file is larger than the \(maxBytes) bytes it was allowed")
                    }
                    if pending.readableBytes == 0 && chunk.readableBytes >= Self.transferChunk {
                        try await forward(chunk)
                        continue
                    }
                    if pending.readableBytes == 0 { pending = ByteBuffer(); pending.reserveCapacity(Self.transferChunk) }
                    pending.writeBuffer(&chunk)
                    if pending.readableBytes >= Self.transferChunk {
                        try await forward(pending)
                        pending = ByteBuffer()
                    }
                }
                if let declared, total < declared {
                    throw ClusterError(.incompleteSource,
                        "the file ended after \(total) of the \(declared) bytes it announced; send it again")
                }
                if pending.readableBytes > 0 { try await forward(pending) }
                queues.forEach { $0.finish() }
                digest.finish()
                var checksums: UploadChecksums?
                for await result in group where result != nil { checksums = result }
                return .success((total, checksums))
            } catch {
                sourceFailure.set(error)
                queues.forEach { $0.finish(throwing: error) }
                digest.cancel()
                await group.waitForAll()
                return .failure(error)
            }
        }
    }

    /// The size of the pieces sent to nodes.
    static let transferChunk = 256 * 1024

    /// Whether `node` holds all `size` bytes under `temporary` (logged when not).
    private func hasComplete(_ temporary: String, in space: Space, size: UInt64, on node: ClusterNode) async -> Bool {
        do {
            let stored = try await node.withClient(idempotent: true) { try await $0.size(of: node.path(temporary, in: space)) }
            if stored == size { return true }
            self.logger.warning("a replica of an upload is short", metadata: [
                "node": "\(node.name)", "file": "\(space)/\(temporary)", "bytes": "\(stored) of \(size)"])
        } catch {
            self.logger.warning("a replica of an upload cannot be checked", metadata: [
                "node": "\(node.name)", "file": "\(space)/\(temporary)", "error": "\(error)"])
        }
        return false
    }

    /// Renames a temporary copy into place (over an older version); `false`, logged, when the node fails.
    private func rename(_ temporary: String, to key: FileKey, on node: ClusterNode) async -> Bool {
        do {
            try await node.withClient { client in
                try await client.rename(node.path(temporary, in: key.space), to: node.path(key.name, in: key.space))
            }
            return true
        } catch {
            self.logger.warning("a replica could not be committed", metadata: [
                "node": "\(node.name)", "file": "\(key)", "error": "\(error)"])
            return false
        }
    }

    /// Records a committed file: copies of an older version on other nodes are removed (or tombstoned), pending
    /// deletions and moves of the name apply only where the new file is not. Runs under the file's lock.
    func record(_ file: ClusterFile) async throws {
        let key = file.key
        let stale = self.planner.stale(
            previous: self.file(key)?.nodes ?? [], pendingDeletions: self.tombstones[key] ?? [], newHolders: file.nodes)
        var pending = stale.stillPending
        for stale in stale.remove {
            guard let node = self.node(stale) else { continue }
            if !(await self.removeReplica(key.name, in: self.place(of: key, on: stale), on: node, why: "older version")) {
                pending.insert(stale)
            }
        }
        // An old replica from before spaces still at the top level is deleted there instead of moved.
        var changes: [CatalogChange] = []
        if let unmoved = self.moves[key] {
            self.moves[key] = nil
            changes.append(.setMoves(key, []))
            let topLevel = FileKey(.topLevel, key.name)
            self.tombstones[topLevel, default: []].formUnion(unmoved)
            changes.append(.setTombstones(topLevel, self.tombstones[topLevel] ?? []))
        }
        self.setFile(key, file)
        self.tombstones[key] = pending.isEmpty ? nil : pending
        try await self.store?.apply(changes + [.save(file), .setTombstones(key, pending)])
    }

    /// Re-replication: streams a committed file from one node to another and renames it into place there.
    func copy(_ key: FileKey, size: UInt64, from source: String, to target: String) async -> Bool {
        guard let from = self.node(source), let to = self.node(target) else { return false }
        let temporary = Self.temporaryName(for: key.name)
        self.partsInFlight.insert(FileKey(key.space, temporary))
        defer { self.partsInFlight.remove(FileKey(key.space, temporary)) }
        let sourcePath = from.path(key.name, in: self.place(of: key, on: source))
        guard await self.copy(from: from, sourcePath, to: to, as: temporary, in: key.space, size: size) else {
            return false
        }
        guard await self.rename(temporary, to: key, on: to) else {
            await self.removeReplica(temporary, in: key.space, on: to, why: "temporary copy of a replica")
            return false
        }
        await to.account(addedBytes: Int64(size))
        return true
    }

    /// Streams `sourcePath` on one node to `temporary` in `space` on another and checks it is complete. A failed
    /// copy leaves nothing on the target.
    func copy(
        from: ClusterNode, _ sourcePath: String, to: ClusterNode, as temporary: String, in space: Space, size: UInt64
    ) async -> Bool {
        let queue = ChunkQueue()
        let logger = self.logger
        async let upload: Bool = {
            do {
                try await to.withClient { client in
                    await to.ensureDirectory(space, client: client)
                    let path = to.path(temporary, in: space)
                    try await client.upload(queue.sequence, to: path)
                    let stored = try await client.size(of: path)
                    guard stored == size else {
                        throw ClusterError(.insufficientReplicas, "the copy holds \(stored) of \(size) bytes")
                    }
                }
                return true
            } catch {
                logger.warning("a replica copy failed", metadata: [
                    "from": "\(from.name)", "to": "\(to.name)", "file": "\(sourcePath)", "error": "\(error)"])
                queue.abandon()
                return false
            }
        }()
        do {
            try await from.withClient { client in
                try await client.download(sourcePath) { stream in
                    for try await chunk in stream where !(await queue.push(chunk)) {
                        throw ClusterError(.insufficientReplicas, "target gave up")
                    }
                }
            }
            queue.finish()
        } catch {
            queue.finish(throwing: error)
        }
        let ok = await upload
        if !ok { await self.removeReplica(temporary, in: space, on: to, why: "temporary copy of a replica") }
        return ok
    }

    /// Where `key`'s replica lies on `node`: its space's directory, or the top level while a move from before
    /// spaces is pending there.
    func place(of key: FileKey, on node: String) -> Space {
        self.moves[key]?.contains(node) == true ? .topLevel : key.space
    }
}
