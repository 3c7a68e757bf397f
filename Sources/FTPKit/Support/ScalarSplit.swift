extension StringProtocol {
    /// The pieces between `separator` scalars. Protocol text (command words, path components, link targets) is
    /// split here rather than with `split(separator:)` on Characters: Swift folds a separator and a combining mark
    /// after it into one Character, which a Character split does not see, and the peer or the kernel does.
    package func splitScalars(
        separator: Unicode.Scalar, maxSplits: Int = .max, omittingEmptySubsequences: Bool = true
    ) -> [String] {
        self.unicodeScalars.split(separator: separator, maxSplits: maxSplits, omittingEmptySubsequences: omittingEmptySubsequences)
            .map { String(String.UnicodeScalarView($0)) }
    }
}
