/// A name (and quota) held for one upload: what ``Cluster/reserve(_:in:size:uploader:collision:quota:)`` grants
/// and ``Cluster/upload(_:from:)`` uses once. Release an unused one with ``Cluster/cancel(_:)``.
public struct UploadReservation: Sendable, Hashable {
    var ticket: UploadBook.Ticket
    /// The name the file will have: the one asked for, or a free one under ``NameCollisionPolicy/keepBoth``.
    public var key: FileKey { self.ticket.key }
    /// The size announced before the upload, when known (the upload is refused if more arrives).
    public let size: UInt64?
    /// Who is uploading.
    public let uploader: String?
}
