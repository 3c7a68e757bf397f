/// What LIST, NLST, MLSD and STAT show for a path: a directory's entries, a file on its own, or, when the path
/// names no entry and its last part is a pattern (`pub/*.txt`), the entries of its directory that match.
package struct FTPListingTarget: Sendable, Hashable {
    /// The directory whose entries are shown (for a pattern, the pattern's directory), or the file itself.
    package var info: FTPFileInfo
    /// The directory listed, when ``info`` is one.
    package var directory: FTPPath
    /// Only the entries whose names match are shown.
    package var pattern: FTPNamePattern?

    package var isDirectory: Bool { self.info.kind == .directory }
}

extension FTPStorage {
    /// Finds what a listing of `path` shows. A pattern is tried only when no entry has the name itself (a file
    /// named `a*.txt` is listed as that file), and only with `patterns` (MLSD takes none, as RFC 3659 says).
    package func listingTarget(_ path: FTPPath, patterns: Bool) async throws -> FTPListingTarget {
        do {
            return FTPListingTarget(info: try await self.info(at: path), directory: path, pattern: nil)
        } catch let error as FTPStorageError where error.code == .notFound {
            guard patterns, !path.isRoot, let pattern = FTPNamePattern(path.name),
                let directory = try? await self.info(at: path.parent), directory.kind == .directory
            else { throw error }
            return FTPListingTarget(info: directory, directory: path.parent, pattern: pattern)
        }
    }
}
