import Foundation
package import NIOCore

/// STAT with a directory (or a pattern): a listing sent over the control connection as one multi-line reply.
/// The state machine decides it and ends the reply; the session writes its lines as the entries are read, so a
/// directory of any size costs a batch of entries in memory, as LIST does, and the client's reading paces it.
package struct FTPStatusListing: Sendable, Hashable {
    /// How writing the lines ended.
    package enum Outcome: Sendable, Hashable {
        /// Every line is out; the reply's last line follows.
        case sent
        /// The storage failed part-way (the directory went, a read error): the reply ends saying so.
        case stopped(FTPStorageError)
        /// The client stopped taking the reply (it did not read for the timeout) or the connection failed.
        case notTaken
    }

    /// The reply's code, on its first line and its last (RFC 959: 213 for a STAT with a path).
    package static let code = 213

    package var target: FTPListingTarget
    /// The reply's first line's text ("Status of /pub:").
    package var opening: String

    /// Writes the reply's first line and the listing's lines (each indented by a space, as inner lines of a reply
    /// are) on `channel`. A write that has not gone out after `stallTimeout` means the client stopped reading: the
    /// connection is then reset.
    package func write(from storage: any FTPStorage, on channel: any Channel, stallTimeout: TimeAmount) async -> Outcome {
        var writer = ChunkWriter(channel: channel, stallTimeout: stallTimeout)
        var opening = channel.allocator.buffer(capacity: 64 * 1024)
        opening.writeString(FTPReply.opening(Self.code, self.opening))
        let now = Date()
        do {
            let listing = try await storage.listing(directory: self.target.directory)
            try await ListingLines.write(listing, matching: self.target.pattern, into: opening, allocator: channel.allocator) {
                entry, buffer in
                buffer.writeStaticString(" ")
                FTPListFormatter.writeLongLine(entry, now: now, into: &buffer)
            } send: {
                try await writer.write($0)
            }
            try await writer.finish()
            return .sent
        } catch let error as FTPStorageError {
            // What was read before the failure still goes out, then the reply's end says the rest is missing.
            do { try await writer.finish() } catch { return self.notTaken(channel, error) }
            return .stopped(error)
        } catch {
            return self.notTaken(channel, error)
        }
    }

    private func notTaken(_ channel: any Channel, _ error: any Error) -> Outcome {
        if error is ChunkWriter.Stalled { StallWatchdog.reset(channel) }
        return .notTaken
    }
}
