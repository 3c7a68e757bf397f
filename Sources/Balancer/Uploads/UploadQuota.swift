import FTPKit

/// A limit on what one uploader may keep in one space: bytes and files, committed and in flight together.
public struct UploadQuota: Sendable, Hashable {
    /// The most bytes the uploader may keep in the space (`nil`: no limit).
    public var maxBytes: UInt64?
    /// The most files the uploader may keep in the space (`nil`: no limit).
    public var maxFiles: Int?

    /// A quota of these limits; the default has none.
    public init(maxBytes: UInt64? = nil, maxFiles: Int? = nil) {
        self.maxBytes = maxBytes
        self.maxFiles = maxFiles
    }
}

extension UploadQuota {
    /// Whether one more upload of `size` bytes (`nil`: unknown) fits when `used` is held already (committed and in
    /// flight) and the upload replaces `replacing` of the owner's own. Returns the most bytes the upload may then
    /// stream: `size`, or everything the quota leaves when the size is unknown, so no other upload overruns it.
    /// The one rule for the in-process book and for stores that several processes share.
    func admit(size: UInt64?, used: SpaceUsage, replacing: SpaceUsage, owner: String) -> Result<UInt64?, ClusterError> {
        let usedBytes = used.bytes.subtractingClamped(replacing.bytes)
        let usedFiles = used.files - replacing.files
        if let maxFiles = self.maxFiles, usedFiles + 1 > maxFiles {
            return .failure(ClusterError(.quotaExceeded,
                "this would be file \(usedFiles + 1) of the \(maxFiles) allowed to \(owner) here"))
        }
        guard let limit = self.maxBytes else { return .success(size) }
        let left = limit.subtractingClamped(usedBytes)
        if let size {
            guard size <= left else {
                return .failure(ClusterError(.quotaExceeded,
                    "\(size) bytes would exceed the quota: \(usedBytes) of \(limit) bytes are used"))
            }
            return .success(size)
        }
        guard left > 0 else { return .failure(ClusterError(.quotaExceeded, "the quota of \(limit) bytes is used up")) }
        return .success(left)
    }
}

/// What one uploader holds in one space.
public struct SpaceUsage: Sendable, Hashable {
    /// Bytes of the uploader's files (one copy each, not counting replicas).
    public var bytes: UInt64
    /// How many files.
    public var files: Int

    /// Usage of `bytes` in `files` files.
    public init(bytes: UInt64 = 0, files: Int = 0) {
        self.bytes = bytes
        self.files = files
    }
}
