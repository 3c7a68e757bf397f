/// What a whole-file download is checked against before ``Cluster/download(_:in:_:)`` returns.
public enum DownloadCheck: String, Sendable, Hashable, CaseIterable {
    /// The CRC-32C recorded at upload (SHA-256 for files that have none): catches corruption on a node's disk, in
    /// memory or on the wire at a tenth of SHA-256's CPU, so a download is not slowed by its check. The nodes are
    /// the operator's own; ``Cluster/scrub()`` still compares every replica's SHA-256.
    case crc32c
    /// The SHA-256 recorded at upload on every download: also catches a node that alters a file on purpose (a
    /// CRC can be forged), at 0.6 CPU-seconds per GiB, which on a fast link takes longer than the transfer.
    case sha256
}
