/// Which spaces a maintenance round audits. Auditing a space lists its directory on every node, so a round that
/// audited every space cost a listing per space and node however little had changed: a bot in 1,000 Discord
/// servers with five files in each spent 2.1 CPU-seconds (and each node 0.85) every 30 seconds on it. A round now
/// takes the next spaces in name order after the last one audited, wrapping around, so a round's listings are
/// bounded and every space still comes round in turn.
package enum SpaceRotation {
    /// Up to `count` spaces of `spaces`, starting after `last` (from the start when `last` is `nil` or nothing
    /// follows it) and wrapping around; each space at most once. All of them when there are no more than `count`.
    /// - Parameter spaces: the spaces there are now, sorted.
    package static func next(after last: Space?, in spaces: [Space], count: Int) -> [Space] {
        guard count > 0, !spaces.isEmpty else { return [] }
        guard spaces.count > count else { return spaces }
        // The first space past `last`: a space that disappeared since (its last file deleted) does not reset the turn.
        let start = last.map { last in spaces.firstIndex { $0 > last } ?? spaces.startIndex } ?? spaces.startIndex
        return (0..<count).map { spaces[(start + $0) % spaces.count] }
    }
}
