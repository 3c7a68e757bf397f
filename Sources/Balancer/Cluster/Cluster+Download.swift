import Synchronization
import FTPKit
public import NIOCore

extension Cluster {
    /// Delivers a file's bytes to `consumer` in order, from the healthiest replica; if that replica fails
    /// mid-transfer, continues from the next one where it stopped (REST). Verifies the checksum recorded at upload
    /// at the end, as ``Cluster/downloadCheck`` says (the consumer should treat the data as provisional until this
    /// returns).
    @discardableResult
    public func download(
        _ name: String, in space: Space = .default, _ consumer: @Sendable (ByteBuffer) async throws -> Void
    ) async throws -> ClusterFile {
        try await self.download(name, in: space, from: 0, consumer)
    }

    /// Like ``download(_:in:_:)`` for `length` bytes (to the end when `nil`) from byte `offset` on; the checksum is
    /// verified only for the whole file. A consumer that throws ends the download with its error at once (the node
    /// is not blamed, no other replica is tried).
    @discardableResult
    public func download(
        _ name: String, in space: Space, from offset: UInt64, length: UInt64? = nil,
        _ consumer: @Sendable (ByteBuffer) async throws -> Void
    ) async throws -> ClusterFile {
        await self.syncCatalog()  // a file another process replaced or deleted is not read from a stale record
        let file: ClusterFile
        if let known = self.file(FileKey(space, name)) {
            file = known
        } else if let found = try await self.list(in: space).files.first(where: { $0.name == name }) {
            file = found
        } else {
            throw ClusterError(.notFound, "no file named '\(name)'")
        }
        // Nodes are asked for the name as stored: `==` found it canonically (`é` either way), the bytes may differ.
        let key = file.key
        let name = key.name
        // Healthiest first: available nodes, fastest health check first. Where a replica lies is taken now: a
        // move or a new version after this point shows as a failed replica or a checksum mismatch, never as
        // another file's bytes passed off as this one.
        var ranked: [(node: ClusterNode, path: String, available: Bool, latency: Duration)] = []
        for n in file.nodes {
            guard let node = self.node(n) else { continue }
            let path = node.path(name, in: self.place(of: key, on: n))
            ranked.append((node, path, await node.isAvailable(), await node.latency ?? .seconds(1)))
        }
        ranked.sort { ($0.available ? 0 : 1, $0.latency) < ($1.available ? 0 : 1, $1.latency) }
        // A file not uploaded through the cluster has no recorded checksum: ask a node that offers HASH.
        let available = file.size > offset ? file.size - offset : 0
        let wanted = min(length ?? available, available)
        let whole = offset == 0 && wanted == file.size
        let toEnd = wanted == available
        let expectedCRC = whole && self.downloadCheck == .crc32c ? file.crc32c : nil
        var expected = whole && expectedCRC == nil ? file.sha256 : nil
        if expected == nil && expectedCRC == nil && whole {
            for entry in ranked where entry.available {
                do {
                    if let hex = try await entry.node.withClient({ client -> String? in
                        await client.features.hashAlgorithms.contains("SHA-256") ? try await client.hash(of: entry.path) : nil
                    }) {
                        expected = hex
                        break
                    }
                } catch {
                    // Another node may answer; without any, the download is delivered unchecked.
                    self.logger.notice("a node could not hash a file for its download", metadata: [
                        "node": "\(entry.node.name)", "file": "\(entry.path)", "error": "\(error)",
                    ])
                }
            }
        }
        // Checked as each chunk is taken from the stream, in this task: about 7 µs per 256 KiB chunk for the CRC on
        // cached data, twice that on data just received from the socket (150 µs for SHA-256). A hashing
        // task beside the transfer (as uploads have) cost a fifth more CPU here, for no time gained
        // (Docs/benchmarks.md).
        let crc = expectedCRC != nil ? SharedCRC32C() : nil
        let digest = expected != nil ? SharedDigest() : nil
        let delivered = ProgressBox()
        // The consumer's own error, kept as it was: the client hands it back wrapped as a local failure.
        let consumerFailure = CallerFailureBox()
        let pauses = CounterpartPauses()
        var lastError: (any Error)?
        var done = wanted == 0
        for entry in ranked where !done {
            do {
                let start = offset + delivered.value
                try await entry.node.withClient { client in
                    do {
                        try await client.download(entry.path, offset: start) { stream in
                            for try await var chunk in stream {
                                let left = wanted - delivered.value
                                if left == 0 { return }  // a replica longer than its record: the client aborts the rest
                                if UInt64(chunk.readableBytes) > left { chunk = chunk.getSlice(at: chunk.readerIndex, length: Int(left)) ?? chunk }
                                let asked = ContinuousClock.now
                                do {
                                    try await consumer(chunk)
                                } catch {
                                    consumerFailure.set(error)
                                    throw error
                                }
                                pauses.waited(since: asked)
                                crc?.update(chunk)
                                digest?.update(chunk)
                                delivered.add(chunk.readableBytes)
                                // A range's end: the client aborts the rest. Read to the file's end, the transfer ends
                                // by itself (and its 226 is seen), without an ABOR's round trips.
                                if delivered.value == wanted && !toEnd { return }
                            }
                        }
                    } catch {
                        // The node ended a transfer the consumer had held up: not the node's failure.
                        if consumerFailure.error == nil, let wait = pauses.explainingWait {
                            throw CounterpartPaused(wait: wait, underlying: error)
                        }
                        throw error
                    }
                }
                done = delivered.value == wanted
            } catch let paused as CounterpartPaused {
                // Resumed from the next replica where it stopped; the nodes' health is left as it was.
                self.logger.notice("a node stopped waiting on a slow reader of a download", metadata: [
                    "node": "\(entry.node.name)", "file": "\(key)", "delivered": "\(delivered.value)", "error": "\(paused)"])
                lastError = paused
            } catch {
                if let own = consumerFailure.error { throw own }
                if ClusterNode.isCallersOwn(error) { throw error }  // cancelled: no other replica either
                self.logger.warning("a replica failed during a download", metadata: [
                    "node": "\(entry.node.name)", "file": "\(key)", "delivered": "\(delivered.value)", "error": "\(error)"])
                lastError = error
            }
        }
        guard done else {
            if let paused = lastError as? CounterpartPaused {
                throw ClusterError(.allReplicasFailed,
                    "'\(name)' was not read for \(paused.seconds) seconds, and the storage nodes stopped waiting")
            }
            let reason = lastError.map { ": " + ClusterNode.plainReason($0) } ?? ""
            throw ClusterError(.allReplicasFailed,
                "'\(name)' could not be read from any of \(file.nodes.joined(separator: ", "))\(reason)")
        }
        if let crc, let expectedCRC, crc.value != expectedCRC {
            throw ClusterError(.checksumMismatch, "'\(name)' does not match the checksum recorded at upload")
        }
        if let digest, let expected, digest.finalize() != expected {
            throw ClusterError(.checksumMismatch, "'\(name)' does not match the checksum recorded at upload")
        }
        return file
    }
}
