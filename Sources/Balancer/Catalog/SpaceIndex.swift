/// One space's files as the cluster keeps them in memory, in the orders its callers read them, kept up to date
/// on every change rather than sorted on every call: by name (listings) and by lower-cased name (completion
/// by prefix, a binary search). Measured with 100,000 files (scripts/bench-catalog): sorting per call cost
/// 110 ms a listing and 200 ms a completion; a change now costs one binary search and one array insertion.
struct SpaceIndex: Sendable {
    private(set) var files: [String: ClusterFile] = [:]
    /// Every file, by name.
    private(set) var byName: [ClusterFile] = []
    /// Every name with its lower-cased form, by (lower-cased, name).
    private var lowered: [Entry] = []

    private struct Entry: Sendable, Comparable {
        var lower: String
        var name: String
        static func < (a: Entry, b: Entry) -> Bool { (a.lower, a.name) < (b.lower, b.name) }
    }

    init() {}

    /// Built at once from many files (a catalog's load): one sort instead of an insertion each.
    init(_ files: some Sequence<ClusterFile>) {
        for file in files { self.files[file.name] = file }
        self.byName = self.files.values.sorted { $0.name < $1.name }
        self.lowered = self.byName.map { Entry(lower: $0.name.lowercased(), name: $0.name) }.sorted()
    }

    var isEmpty: Bool { self.files.isEmpty }

    subscript(name: String) -> ClusterFile? { self.files[name] }

    /// Records, replaces (`file` non-nil) or forgets a file.
    mutating func set(_ name: String, _ file: ClusterFile?) {
        let existed = self.files[name] != nil
        self.files[name] = file
        let at = Self.lowerBound(self.byName.count) { self.byName[$0].name < name }
        let entry = Entry(lower: name.lowercased(), name: name)
        let entryAt = Self.lowerBound(self.lowered.count) { self.lowered[$0] < entry }
        switch (existed, file) {
        case (true, let file?):
            self.byName[at] = file
        case (true, nil):
            self.byName.remove(at: at)
            self.lowered.remove(at: entryAt)
        case (false, let file?):
            self.byName.insert(file, at: at)
            self.lowered.insert(entry, at: entryAt)
        case (false, nil):
            break
        }
    }

    /// Up to `limit` names: those starting with `typed` (any case) first, in order, then those containing it.
    func names(matching typed: String, limit: Int) -> [String] {
        guard !typed.isEmpty else { return self.byName.prefix(limit).map(\.name) }
        let lower = typed.lowercased()
        var found: [String] = []
        var index = Self.lowerBound(self.lowered.count) { self.lowered[$0].lower < lower }
        while index < self.lowered.count, found.count < limit, self.lowered[index].lower.hasPrefix(lower) {
            found.append(self.lowered[index].name)
            index += 1
        }
        guard found.count < limit else { return found }
        let needle = Array(lower.utf8)
        for entry in self.lowered where found.count < limit {
            if Self.contains(entry.lower, needle), !entry.lower.hasPrefix(lower) { found.append(entry.name) }
        }
        return found
    }

    /// A byte search over the UTF-8 of a lower-cased name: the substring scan of a completion visits every name,
    /// and `String.contains` cost about 0.6 µs a name (60 ms for 100,000). Bytes suffice: both sides are
    /// lower-cased the same way, and UTF-8 never matches inside another character.
    static func contains(_ haystack: String, _ needle: [UInt8]) -> Bool {
        var text = haystack
        return text.withUTF8 { bytes in
            guard let first = needle.first, bytes.count >= needle.count else { return needle.isEmpty }
            var start = 0
            let last = bytes.count - needle.count
            while start <= last {
                if bytes[start] == first {
                    var matched = 1
                    while matched < needle.count && bytes[start + matched] == needle[matched] { matched += 1 }
                    if matched == needle.count { return true }
                }
                start += 1
            }
            return false
        }
    }

    /// The first index in `0..<count` where `isBefore` is false (it must be true, then false, along the range).
    private static func lowerBound(_ count: Int, _ isBefore: (Int) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if isBefore(mid) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
