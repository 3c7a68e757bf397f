import FTPKit

/// The names and bytes that uploads in flight hold, decided synchronously before the first suspension point of an
/// upload, so concurrent uploads of one name obey the collision policy and a quota admits exactly what fits.
///
/// A pure value: the cluster actor asks it and carries out what it answers. Exclusive holds (`.reject`,
/// `.keepBoth`) own a name until their upload commits or fails; `.replace` holds are shared with other replacing
/// uploads of the same name, whose commits the cluster then runs one at a time.
struct UploadBook: Sendable {
    struct Hold: Sendable, Hashable {
        var key: FileKey
        var exclusive: Bool
        var owner: String?
        /// Bytes counted against the owner's quota while the upload runs.
        var bytes: UInt64
        /// The file this upload replaces when it commits, counted out of the owner's usage.
        var replacing: SpaceUsage
        /// The owner's quota here, for stores that count it across processes too.
        var quota: UploadQuota? = nil
    }

    /// A granted reservation.
    struct Ticket: Sendable, Hashable {
        var id: UInt64
        var key: FileKey
        var policy: NameCollisionPolicy
        /// The most bytes the upload may stream: the declared size, or what the quota leaves when none was given.
        var maxBytes: UInt64?
    }

    private(set) var holds: [UInt64: Hold] = [:]
    private var lastID: UInt64 = 0

    /// Reserves `name` in `space` for an upload of `size` bytes (`nil`: unknown).
    /// - Parameters:
    ///   - existing: the committed file under a key, if any.
    ///   - committedUsage: what `owner` keeps in `space` already, in committed files.
    mutating func reserve(
        name: String, in space: Space, policy: NameCollisionPolicy, size: UInt64?, owner: String?,
        quota: UploadQuota?, existing: (FileKey) -> ClusterFile?, committedUsage: (String, Space) -> SpaceUsage
    ) -> Result<Ticket, ClusterError> {
        var key = FileKey(space, name)
        var replacing = SpaceUsage()
        switch policy {
        case .reject:
            if existing(key) != nil || self.isHeld(key) {
                return .failure(ClusterError(.nameTaken, "a file named '\(name)' exists already"))
            }
        case .keepBoth:
            if existing(key) != nil || self.isHeld(key) {
                key = self.freeKey(after: key, existing: existing)
            }
        case .replace:
            if self.holds.values.contains(where: { $0.key == key && $0.exclusive }) {
                return .failure(ClusterError(.nameBusy, "'\(name)' is being uploaded right now; try again when it is done"))
            }
            if let old = existing(key) {
                // The new content goes where the old lies, under the name's stored bytes: the key matched it
                // canonically (`é` either way), and a copy under other bytes would leave the old one behind.
                key = old.key
                if old.uploader == owner, owner != nil { replacing = SpaceUsage(bytes: old.size, files: 1) }
            }
        }
        var maxBytes = size
        if let quota, let owner {
            let committed = committedUsage(owner, space)
            let inFlight = self.usage(of: owner, in: space)
            let used = SpaceUsage(bytes: committed.bytes + inFlight.bytes, files: committed.files + inFlight.files)
            switch quota.admit(size: size, used: used, replacing: replacing, owner: owner) {
            case .success(let allowed): maxBytes = allowed
            case .failure(let error): return .failure(error)
            }
        }
        self.lastID += 1
        self.holds[self.lastID] = Hold(
            key: key, exclusive: policy != .replace, owner: owner, bytes: maxBytes ?? 0, replacing: replacing, quota: quota)
        return .success(Ticket(id: self.lastID, key: key, policy: policy, maxBytes: maxBytes))
    }

    mutating func release(_ ticket: Ticket) { self.holds[ticket.id] = nil }

    /// Moves a `.keepBoth` hold to another name (another process held or committed the first): the next free
    /// one after `original` that is not in `tried`, held at once, before any suspension point.
    mutating func moveToFreeName(_ ticket: Ticket, excluding tried: Set<FileKey>, existing: (FileKey) -> ClusterFile?) -> FileKey {
        let key = self.freeKey(after: ticket.key, excluding: tried, existing: existing)
        self.holds[ticket.id]?.key = key
        return key
    }

    func isHeld(_ key: FileKey) -> Bool { self.holds.values.contains { $0.key == key } }

    /// Bytes and files `owner`'s uploads in flight hold in `space` (a replacing upload holds no new file).
    func usage(of owner: String, in space: Space) -> SpaceUsage {
        self.holds.values.filter { $0.owner == owner && $0.key.space == space }.reduce(into: SpaceUsage()) {
            $0.bytes = $0.bytes.addingClamped($1.bytes)
            $0.files += $1.replacing.files == 0 ? 1 : 0
        }
    }

    /// `name (2).ext`, `name (3).ext`…: the first neither committed nor held (nor in `excluded`).
    private func freeKey(after key: FileKey, excluding excluded: Set<FileKey> = [], existing: (FileKey) -> ClusterFile?) -> FileKey {
        let name = key.name
        let dot = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 }
        let stem = dot.map { String(name[..<$0]) } ?? name
        let ext = dot.map { String(name[$0...]) } ?? ""
        var n = 2
        while true {
            // A name at the byte limit gives up the end of its stem (or, past that, its extension) to the number.
            let number = " (\(n))"
            let stemBytes = FileNames.maxBytes - number.utf8.count - ext.utf8.count
            let candidateName = stemBytes > 0
                ? NameBytes.prefix(stem, maxBytes: stemBytes) + number + ext
                : NameBytes.prefix(name, maxBytes: FileNames.maxBytes - number.utf8.count) + number
            let candidate = FileKey(key.space, candidateName)
            if existing(candidate) == nil && !self.isHeld(candidate) && !excluded.contains(candidate) { return candidate }
            n += 1
        }
    }
}
