/// How to undo an in-place upload (`APPE`, or `REST n` + `STOR` at a file's end) if the process writing it dies:
/// the file it appends to, identified by device and inode so a file renamed or replaced since is never touched,
/// and the size to cut it back to (or, when the upload created it, that it is to be removed).
///
/// ``LocalWriteHandle`` writes one into a locked hidden file beside the target before the first byte is appended
/// and removes it on commit or abort; ``LocalFileStorage/removeAbandonedUploads()`` applies the ones whose lock is
/// free. Text, one field per line, so an operator can read what a leftover would do:
/// `seed-append 1` / `DEVICE INODE ORIGINAL-SIZE CREATED(0|1)` / `NAME`.
struct AppendJournal: Sendable, Hashable {
    /// Journal files are temporary uploads (hidden from listings and refused as names) of their own kind.
    static let prefix = LocalFileStorage.temporaryPrefix + "append-"
    private static let header = "seed-append 1"

    var device: UInt64
    var inode: UInt64
    var originalSize: UInt64
    var created: Bool
    /// The target's name in the journal's own directory.
    var name: String

    var encoded: String {
        "\(Self.header)\n\(self.device) \(self.inode) \(self.originalSize) \(self.created ? 1 : 0)\n\(self.name)\n"
    }

    /// `nil` for anything that is not a journal this version wrote whole (a crash while writing it leaves a
    /// truncated one, which names nothing to undo yet).
    init?(decoding bytes: some Collection<UInt8>) {
        guard bytes.count <= 4096, let text = String(validating: Array(bytes), as: UTF8.self) else { return nil }
        let lines = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count == 3, lines[0] == Self.header, lines[2].last == "\n" else { return nil }
        let fields = lines[1].split(separator: " ")
        guard fields.count == 4, let device = UInt64(fields[0]), let inode = UInt64(fields[1]),
            let size = UInt64(fields[2]), fields[3] == "0" || fields[3] == "1"
        else { return nil }
        let name = String(lines[2].dropLast())
        // On the bytes: this file has no Foundation, so `contains("/")` would compare Characters and miss a slash
        // that Swift folds together with a combining mark after it.
        guard !name.isEmpty, name != ".", name != "..", !name.utf8.contains(UInt8(ascii: "/")), !name.utf8.contains(0)
        else { return nil }
        self.init(device: device, inode: inode, originalSize: size, created: fields[3] == "1", name: name)
    }

    init(device: UInt64, inode: UInt64, originalSize: UInt64, created: Bool, name: String) {
        self.device = device
        self.inode = inode
        self.originalSize = originalSize
        self.created = created
        self.name = name
    }
}
