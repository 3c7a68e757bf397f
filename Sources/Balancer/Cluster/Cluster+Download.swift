import FTPKit
public import NIOCore

extension Cluster {
    /// Delivers a file's bytes to `consumer` in order, from the healthiest replica; if that replica fails
    /// mid-transfer, continues from the next one where it stopped (REST). Verifies the SHA-256 recorded at upload
    /// at the end (the consumer should treat the data as provisional until this returns).
    @discardableResult
    public func download(
        _ name: String, in space: Space = .default, _ consumer: @Sendable (ByteBuffer) async throws -> Void
    ) async throws -> ClusterFile {
        try await self.download(name, in: space, from: 0, consumer)
    }

    /// Like ``download(_:in:_:)`` from byte `offset` on; the checksum can only be verified when `offset` is 0.
    @discardableResult
    public func download(
        _ name: String, in space: Space, from offset: UInt64, _ consumer: @Sendable (ByteBuffer) async throws -> Void
    ) async throws -> ClusterFile {
        let key = FileKey(space, name)
        let file: ClusterFile
        if let known = self.file(key) {
            file = known
        } else if let found = try await self.list(in: space).files.first(where: { $0.name == name }) {
            file = found
        } else {
            throw ClusterError(.notFound, "no file named '\(name)'")
        }
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
        var expected = offset == 0 ? file.sha256 : nil
        if expected == nil && offset == 0 {
            for entry in ranked where entry.available {
                if let hex = try? await entry.node.withClient({ client -> String? in
                    await client.features.hashAlgorithms.contains("SHA-256") ? try await client.hash(of: entry.path) : nil
                }) {
                    expected = hex
                    break
                }
            }
        }
        let digest = SharedDigest()
        let delivered = ProgressBox()
        var lastError: (any Error)?
        let wanted = file.size > offset ? file.size - offset : 0
        var done = false
        for entry in ranked where !done {
            do {
                let start = offset + delivered.value
                try await entry.node.withClient { client in
                    try await client.download(entry.path, offset: start) { stream in
                        for try await chunk in stream {
                            try await consumer(chunk)
                            digest.update(chunk)
                            delivered.add(chunk.readableBytes)
                        }
                    }
                }
                done = delivered.value == wanted
            } catch {
                self.logger.warning("a replica failed during a download", metadata: [
                    "node": "\(entry.node.name)", "file": "\(key)", "delivered": "\(delivered.value)", "error": "\(error)"])
                lastError = error
            }
        }
        guard done else {
            let reason = lastError.map { ": " + ClusterNode.plainReason($0) } ?? ""
            throw ClusterError(.allReplicasFailed,
                "'\(name)' could not be read from any of \(file.nodes.joined(separator: ", "))\(reason)")
        }
        if let expected, digest.finalize() != expected {
            throw ClusterError(.checksumMismatch, "'\(name)' does not match the checksum recorded at upload")
        }
        return file
    }
}
