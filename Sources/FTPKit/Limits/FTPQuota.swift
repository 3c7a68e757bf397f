/// How much one user may keep in their part of the storage: bytes and regular files (directories are free).
///
/// Counted over the user's root, including what their uploads in flight have written so far, so several sessions
/// uploading at once cannot together pass the limit. An upload that would pass it is refused with `552`: before
/// any data moves when the file count is reached, or as soon as the bytes run out (the partial upload is
/// discarded and the previous content of the file stays).
public struct FTPQuota: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The most bytes the user's files may hold together (`nil`: no byte limit).
    public var bytes: UInt64?
    /// The most regular files the user may keep (`nil`: no file limit).
    public var files: Int?

    /// A quota of at most `bytes` bytes and `files` files (`nil`: no limit on that).
    public init(bytes: UInt64? = nil, files: Int? = nil) {
        self.bytes = bytes
        self.files = files
    }

    /// True when the quota limits nothing.
    public var isUnlimited: Bool { self.bytes == nil && self.files == nil }

    public var description: String {
        let parts = [self.bytes.map { "\(FTPByteCount.format($0)) bytes" }, self.files.map { "\($0) files" }].compactMap { $0 }
        return parts.isEmpty ? "unlimited" : parts.joined(separator: ", ")
    }
}
