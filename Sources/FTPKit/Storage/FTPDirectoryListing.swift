/// A directory's entries in name order, handed out a batch at a time, so that sending the listing of a big
/// directory never holds every entry's details at once: ``LocalFileStorage`` keeps only the sorted names and reads
/// each batch's details as the transfer asks for it.
///
/// A listing is read once, from one task.
public struct FTPDirectoryListing: AsyncSequence, Sendable {
    public typealias Element = [FTPFileInfo]

    private let first: [FTPFileInfo]
    private let nextBatch: (@Sendable () async throws -> [FTPFileInfo]?)?

    /// A listing of entries already in memory, handed out as one batch.
    public init(_ entries: [FTPFileInfo]) {
        self.first = entries
        self.nextBatch = nil
    }

    /// A listing that hands out `first`, then the batches `nextBatch` returns, called one call at a time until it
    /// returns `nil`. It throws ``FTPStorageError``. (The first batch is read with the directory, in one trip to
    /// wherever the entries live: a small directory's listing costs one.)
    public init(first: [FTPFileInfo], then nextBatch: @escaping @Sendable () async throws -> [FTPFileInfo]?) {
        self.first = first
        self.nextBatch = nextBatch
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate var first: [FTPFileInfo]?
        fileprivate var nextBatch: (@Sendable () async throws -> [FTPFileInfo]?)?

        public mutating func next() async throws -> [FTPFileInfo]? {
            if let first = self.first {
                self.first = nil
                return first
            }
            guard let nextBatch = self.nextBatch else { return nil }
            guard let batch = try await nextBatch() else {
                self.nextBatch = nil
                return nil
            }
            return batch
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(first: self.first, nextBatch: self.nextBatch)
    }
}
