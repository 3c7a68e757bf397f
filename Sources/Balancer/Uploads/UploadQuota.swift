/// A limit on what one uploader may keep in one space: bytes and files, committed and in flight together.
public struct UploadQuota: Sendable, Hashable {
    public var maxBytes: UInt64?
    public var maxFiles: Int?

    public init(maxBytes: UInt64? = nil, maxFiles: Int? = nil) {
        self.maxBytes = maxBytes
        self.maxFiles = maxFiles
    }
}

/// What one uploader holds in one space.
public struct SpaceUsage: Sendable, Hashable {
    public var bytes: UInt64
    public var files: Int

    public init(bytes: UInt64 = 0, files: Int = 0) {
        self.bytes = bytes
        self.files = files
    }
}
