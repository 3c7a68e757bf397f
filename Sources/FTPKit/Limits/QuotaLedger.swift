/// One user's quota accounting, as a value with no I/O: what their committed files hold, plus what each upload
/// in flight has written. The storage decorator (``QuotaStorage``) reports events and obeys the answers.
///
/// An upload is charged as its bytes arrive, against the limit minus everything committed and everything the
/// user's other uploads have written so far; the bytes it will replace (the old content of the file it
/// overwrites) are credited up front, so overwriting a file with one of the same size never needs free quota.
/// Only one upload at a time gets the credit for a given path (two sessions replacing the same file would
/// otherwise both count the old bytes as freed). At commit the decorator reports the real sizes before and after,
/// so the books follow the storage exactly whatever the mode (replace, append, restart).
struct QuotaLedger: Sendable, Hashable {
    struct Upload: Sendable, Hashable {
        var path: String
        var written: UInt64 = 0
        /// Bytes of the existing file this upload will replace at commit.
        var credit: UInt64
        /// True when the target did not exist when the upload started (it will add a file).
        var creates: Bool
    }

    enum Refusal: Error, Sendable, Hashable {
        case bytes(limit: UInt64)
        case files(limit: Int)
    }

    let quota: FTPQuota
    /// What committed files hold.
    private(set) var usedBytes: UInt64
    private(set) var usedFiles: Int
    private(set) var uploads: [Int: Upload] = [:]
    private var nextUpload = 0

    init(quota: FTPQuota, usedBytes: UInt64, usedFiles: Int) {
        self.quota = quota
        self.usedBytes = usedBytes
        self.usedFiles = usedFiles
    }

    /// Bytes counted now: committed files, plus every upload's growth so far (what it wrote minus its credit).
    var projectedBytes: UInt64 {
        // Saturating: sizes come from the file system, where a sparse file may hold up to 2^63 − 1 bytes, and a
        // few of them overflow 64 bits (that trapped a login). Additions and credits are summed apart so the result
        // does not depend on the order of the uploads.
        let added = self.uploads.values.reduce(self.usedBytes) { $0.addingClamped($1.written) }
        let credited = self.uploads.values.reduce(UInt64(0)) { $0.addingClamped($1.credit) }
        return added.subtractingClamped(credited)
    }

    /// Files counted now: committed ones plus uploads that create one.
    var projectedFiles: Int { self.usedFiles + self.uploads.values.filter(\.creates).count }

    /// Bytes still free under the quota (`nil`: no byte limit).
    var remainingBytes: UInt64? {
        self.quota.bytes.map { $0.subtractingClamped(self.projectedBytes) }
    }

    /// Starts an upload to `path`. `existing` is the target's current size (`nil`: no such file); `keeps` how
    /// many of those bytes stay (0 for a replacing write, the offset for a restart, all of them for an append).
    mutating func begin(path: String, existing: UInt64?, keeps: UInt64) -> Result<Int, Refusal> {
        let creates = existing == nil
        if creates, let limit = self.quota.files, self.projectedFiles + 1 > limit {
            return .failure(.files(limit: limit))
        }
        let alreadyCredited = self.uploads.values.contains { $0.path == path && $0.credit > 0 }
        let credit = alreadyCredited ? 0 : (existing ?? 0) - min(existing ?? 0, keeps)
        self.nextUpload += 1
        self.uploads[self.nextUpload] = Upload(path: path, credit: credit, creates: creates)
        return .success(self.nextUpload)
    }

    /// Charges `bytes` more to an upload. When they would pass the byte limit they are refused, and the upload is
    /// given up in the same step: nothing it wrote counts any more. Released later (at its abort), its bytes could
    /// meanwhile refuse the next chunk of an upload beside it, and two uploads that together pass the limit would
    /// both be refused where one fits.
    mutating func charge(_ id: Int, bytes: UInt64) -> Result<Void, Refusal> {
        guard var upload = self.uploads[id] else { return .success(()) }
        // The projection already holds this upload's credit: an overwrite may write up to the old size on a
        // full quota.
        if let limit = self.quota.bytes, self.projectedBytes.addingClamped(bytes) > limit {
            self.uploads.removeValue(forKey: id)
            return .failure(.bytes(limit: limit))
        }
        upload.written = upload.written.addingClamped(bytes)
        self.uploads[id] = upload
        return .success(())
    }

    /// The upload was committed: the file at its path went from `before` bytes (`nil`: absent) to `after`.
    mutating func commit(_ id: Int, before: UInt64?, after: UInt64) {
        self.uploads.removeValue(forKey: id)
        let grown = self.usedBytes.addingClamped(after)
        self.usedBytes = grown > (before ?? 0) ? grown - (before ?? 0) : 0
        if before == nil { self.usedFiles += 1 }
    }

    /// The upload was discarded: nothing it wrote counts.
    mutating func abort(_ id: Int) {
        self.uploads.removeValue(forKey: id)
    }

    /// A file of `bytes` bytes left the user's storage (deleted, or replaced by a rename onto it).
    mutating func removed(bytes: UInt64) {
        self.usedBytes -= min(self.usedBytes, bytes)
        self.usedFiles = max(0, self.usedFiles - 1)
    }
}

extension QuotaLedger {
    /// The same books under another quota (the users file was reloaded).
    func withQuota(_ quota: FTPQuota) -> QuotaLedger {
        var copy = QuotaLedger(quota: quota, usedBytes: self.usedBytes, usedFiles: self.usedFiles)
        copy.uploads = self.uploads
        copy.nextUpload = self.nextUpload
        return copy
    }
}
