import FTPKit
import NIOCore

extension Cluster {
    /// Verifies every replica of every file with a recorded SHA-256: the node's `HASH` where it offers it, else
    /// by reading the replica. A replica that does not match is reported, removed and copied again from a replica
    /// that does. Replicas on nodes that do not answer are counted, not judged. Safe to interrupt (it stops between
    /// files) and run again.
    public func scrub(progress: @escaping @Sendable (String) -> Void = { _ in }) async -> OperationReport {
        await self.syncCatalog()
        let keys = self.everyFile.filter { $0.sha256 != nil }.map(\.key).sorted()
        return await self.forEachFile(keys, progress: progress) { cluster, key, step in
            guard let file = cluster.file(key), let expected = file.sha256 else { return }
            var good: [String] = []
            var bad: [String] = []
            for n in file.nodes {
                guard let node = cluster.node(n), await node.isAvailable() else {
                    step.unreachable += 1
                    continue
                }
                switch await cluster.digest(of: key, on: node) {
                case .some(let actual) where actual == expected.lowercased(): good.append(n)
                case .some:
                    bad.append(n)
                    step.corrupt += 1
                    progress("\(key): the replica on \(n) does not match its SHA-256")
                    cluster.logger.error("a replica does not match its checksum", metadata: ["file": "\(key)", "node": "\(n)"])
                case .none:
                    step.unreachable += 1
                }
            }
            guard !bad.isEmpty else { return }
            guard let source = good.first else {
                step.problems.append("\(key): no replica matches its SHA-256; the bad ones are kept")
                progress("\(key): no good replica is left to copy from")
                return
            }
            for n in bad {
                // Copied over the bad replica (a temporary upload renamed into place).
                if await cluster.copy(key, size: file.size, from: source, to: n) {
                    step.copied += 1
                    progress("\(key): the replica on \(n) was restored from \(source)")
                } else {
                    step.problems.append("\(key): the replica on \(n) could not be restored from \(source)")
                }
            }
        }
    }

    /// A replica's SHA-256 as lower-case hex: the node's HASH when it offers it, else read and hashed here;
    /// `nil` when the node could not be asked.
    private func digest(of key: FileKey, on node: ClusterNode) async -> String? {
        let path = node.path(key.name, in: self.place(of: key, on: node.name))
        do {
            return try await node.withClient { client -> String in
                if await client.features.hashAlgorithms.contains("SHA-256") {
                    return try await client.hash(of: path).lowercased()
                }
                let digest = SharedDigest()
                try await client.download(path) { stream in
                    for try await chunk in stream { digest.update(chunk) }
                }
                return digest.finalize()
            }
        } catch {
            self.logger.warning("a replica could not be checked", metadata: ["file": "\(key)", "node": "\(node.name)", "error": "\(error)"])
            return nil
        }
    }
}
