/// Which of a bot's gateway shards one process runs, as operators write it: `0-1/4` (shards 0 and 1 of 4),
/// `2/4`, `0,3/4`, or `all/4`. Several processes, each with its part, serve every guild between them: a guild's
/// events go to shard `(guild_id >> 22) % count`.
public struct ShardSelection: Sendable, Hashable, CustomStringConvertible {
    /// The shards this process runs, ascending.
    public let ids: [Int]
    /// The bot's total shard count (the same in every process).
    public let count: Int

    /// Shards `ids` (duplicates merged) of `count` (1 to 4,096); an empty list or an id outside `0..<count` throws.
    public init(ids: [Int], count: Int) throws(ShardSelectionError) {
        guard (1...4096).contains(count) else { throw ShardSelectionError("the shard count must be between 1 and 4096") }
        let sorted = Array(Set(ids)).sorted()
        guard !sorted.isEmpty else { throw ShardSelectionError("no shard is named") }
        guard let last = sorted.last, let first = sorted.first, first >= 0, last < count else {
            throw ShardSelectionError("shard ids go from 0 to \(count - 1)")
        }
        self.ids = sorted
        self.count = count
    }

    /// Reads `IDS/COUNT`: IDS is `all`, or a comma-separated list of ids and ranges (`0-3,7`).
    public init(parsing text: String) throws(ShardSelectionError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw ShardSelectionError("'\(text)' is not IDS/COUNT (for example 0-1/4)")
        }
        // Checked before any list is built: `all/4425268108868222976` would otherwise ask for that many ids.
        guard (1...4096).contains(count) else { throw ShardSelectionError("the shard count must be between 1 and 4096") }
        let idsText = parts[0].trimmingCharacters(in: .whitespaces)
        if idsText == "all" {
            try self.init(ids: Array(0..<count), count: count)
            return
        }
        var ids: [Int] = []
        for item in idsText.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            switch bounds.count {
            case 1:
                guard let id = bounds[0] else { throw ShardSelectionError("'\(item)' in '\(text)' is not a shard id") }
                ids.append(id)
            case 2:
                // `low >= 0` first: `high - low` of a very negative `low` would overflow.
                guard let low = bounds[0], let high = bounds[1], low >= 0, low <= high, high - low < 4096 else {
                    throw ShardSelectionError("'\(item)' in '\(text)' is not a range of shard ids")
                }
                ids.append(contentsOf: low...high)
            default:
                throw ShardSelectionError("'\(item)' in '\(text)' is not a shard id or range")
            }
        }
        try self.init(ids: ids, count: count)
    }

    /// Whether this process receives `guild`'s events.
    public func serves(guild: Snowflake) -> Bool {
        guard let value = guild.value else { return false }
        return self.ids.contains(Int((value >> 22) % UInt64(self.count)))
    }

    public var description: String { "\(self.ids.map(String.init).joined(separator: ","))/\(self.count)" }
}

/// Why a shard selection is not valid, in a sentence.
public struct ShardSelectionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
