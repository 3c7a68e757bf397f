/// Bytes moved so far and, when known, the total.
public struct FTPTransferProgress: Sendable, Hashable {
    /// Bytes moved so far (for a resumed transfer, counted from the start of the file).
    public var bytes: UInt64
    /// The whole size, when the server or the local file told it.
    public var total: UInt64?

    /// Progress of `bytes` out of `total`.
    public init(bytes: UInt64, total: UInt64?) {
        self.bytes = bytes
        self.total = total
    }

    /// `bytes / total` from 0 to 1, when the total is known (an empty file is done).
    public var fraction: Double? { self.total.map { $0 == 0 ? 1 : Double(self.bytes) / Double($0) } }
}
