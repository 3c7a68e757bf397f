public import Balancer

/// The rules the use cases apply, the same for every front end.
public struct FileBotSettings: Sendable {
    /// The largest file one upload may store.
    public var maxFileSize: UInt64
    /// What one person may keep in one space (bytes and files, uploads in flight included); `nil`: no limit.
    public var quota: UploadQuota?
    /// Discord role ids whose members may delete anyone's files.
    public var adminRoles: Set<String>
    /// Rows per listing page.
    public var pageSize: Int
    /// What an upload of an existing name does.
    public var collision: NameCollisionPolicy
    /// Which guilds share a space, and what direct messages get.
    public var spaces: SpaceMap

    /// The defaults: files up to 1 GiB, no quota, ten names a page, a second file of a taken name kept beside it,
    /// each Discord server in its own space and each person's direct messages in a private one.
    public init(
        maxFileSize: UInt64 = 1 << 30, quota: UploadQuota? = nil, adminRoles: Set<String> = [], pageSize: Int = 10,
        collision: NameCollisionPolicy = .keepBoth, spaces: SpaceMap = SpaceMap()
    ) {
        self.maxFileSize = maxFileSize
        self.quota = quota
        self.adminRoles = adminRoles
        self.pageSize = max(1, pageSize)
        self.collision = collision
        self.spaces = spaces
    }
}
