/// Transfer rates in bytes per second, each direction on its own (`nil`: unlimited). Used for the whole server
/// (``FTPServerConfiguration/bandwidth``) and per user (``FTPServerConfiguration/userBandwidth``, or a users-file
/// entry's own), where one user's sessions share their rate.
public struct FTPBandwidthLimits: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Data the server receives (STOR, APPE, STOU).
    public var uploadBytesPerSecond: UInt64?
    /// Data the server sends (RETR; listings are not limited).
    public var downloadBytesPerSecond: UInt64?

    /// Limits in bytes per second; `nil` leaves that direction unlimited.
    public init(uploadBytesPerSecond: UInt64? = nil, downloadBytesPerSecond: UInt64? = nil) {
        self.uploadBytesPerSecond = uploadBytesPerSecond
        self.downloadBytesPerSecond = downloadBytesPerSecond
    }

    /// No limit either way.
    public static let unlimited = FTPBandwidthLimits()

    /// Whether neither direction is limited.
    public var isUnlimited: Bool { self.uploadBytesPerSecond == nil && self.downloadBytesPerSecond == nil }

    public var description: String {
        func rate(_ r: UInt64?) -> String { r.map { FTPByteCount.format($0) + "/s" } ?? "unlimited" }
        return "upload \(rate(self.uploadBytesPerSecond)), download \(rate(self.downloadBytesPerSecond))"
    }
}
