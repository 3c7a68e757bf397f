/// An upload in flight counted against its owner's quota in a store that several processes share
/// (``CatalogStore/holdQuota(_:)``): every process's admission sees it until it is released or its process dies.
public struct QuotaHold: Sendable, Hashable {
    /// The store's identifier for the hold.
    public var id: Int64
    /// The most bytes the upload may stream under it (what the quota left, for an upload of unknown size).
    public var maxBytes: UInt64?

    /// A hold as the store recorded it.
    public init(id: Int64, maxBytes: UInt64?) {
        self.id = id
        self.maxBytes = maxBytes
    }
}

/// What an upload asks of its owner's quota.
public struct QuotaHoldRequest: Sendable, Hashable {
    /// The space the upload goes into.
    public var space: Space
    /// The uploader whose quota is counted.
    public var owner: String
    /// The limits that uploader has in that space.
    public var quota: UploadQuota
    /// `nil` when the size is not known before the bytes arrive.
    public var size: UInt64?
    /// The owner's own file this upload replaces, counted out when it commits.
    public var replacing: SpaceUsage

    /// A request for an upload of `size` bytes (`nil`: unknown) by `owner` into `space`.
    public init(space: Space, owner: String, quota: UploadQuota, size: UInt64?, replacing: SpaceUsage = SpaceUsage()) {
        self.space = space
        self.owner = owner
        self.quota = quota
        self.size = size
        self.replacing = replacing
    }

    /// The store's decision once it has counted what `owner` holds in `space` (committed and in flight, across
    /// processes).
    func admit(used: SpaceUsage) -> Result<UInt64?, ClusterError> {
        self.quota.admit(size: self.size, used: used, replacing: self.replacing, owner: self.owner)
    }
}
