import Foundation
import NIOCore
import Testing
import SeedTestSupport

@testable import FTPKit

/// The journal that lets a restart undo an in-place upload (APPE) whose process died: its format, and what
/// ``LocalFileStorage/removeAbandonedUploads()`` does with journals left behind.
@Suite(.tags(.unit), .inTestSet(.unit)) struct AppendJournalTests {
    @Test func encodesAndDecodes() throws {
        let journal = AppendJournal(device: 2049, inode: 131_077, originalSize: 21, created: false, name: "a file.log")
        #expect(journal.encoded == "seed-append 1\n2049 131077 21 0\na file.log\n")
        #expect(AppendJournal(decoding: Array(journal.encoded.utf8)) == journal)
        let created = AppendJournal(device: 1, inode: 2, originalSize: 0, created: true, name: "line\nbreak")
        #expect(AppendJournal(decoding: Array(created.encoded.utf8)) == created)
    }

    @Test(arguments: [
        "",  // created, never written
        "seed-append 1\n2049 131077 21 0\na file.log",  // cut before its last newline
        "seed-append 1\n2049 131077 21",  // cut mid-line
        "seed-append 2\n2049 131077 21 0\nx\n",  // another version
        "seed-append 1\n2049 131077 -1 0\nx\n",
        "seed-append 1\n2049 131077 21 2\nx\n",
        "seed-append 1\n2049 131077 21 0 9\nx\n",
        "seed-append 1\n2049 131077 21 0\n../escape\n",
        "seed-append 1\n2049 131077 21 0\nsub/file\n",
        "seed-append 1\n2049 131077 21 0\nsub/\u{301}file\n",  // a slash Swift folds into one Character with its mark
        "seed-append 1\n2049 131077 21 0\n..\n",
        "seed-append 1\n2049 131077 21 0\n\n",
    ])
    func refusesWhatItDidNotWriteWhole(text: String) {
        #expect(AppendJournal(decoding: Array(text.utf8)) == nil)
    }

    @Test func refusesInvalidUTF8AndOversizedInput() {
        #expect(AppendJournal(decoding: [0xFF, 0xFE, 0x0A]) == nil)
        #expect(AppendJournal(decoding: Array(repeating: UInt8(ascii: "a"), count: 5000)) == nil)
    }

    /// Journals of dead processes are applied: an appended file is cut back, a file the upload created is removed,
    /// a file replaced since (another inode) and a live upload's file are left alone.
    @Test func leftoverJournalsAreAppliedOnlyToTheirOwnFile() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let root = dir.path
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/d", withIntermediateDirectories: true)
        let s = try LocalFileStorage(root: root)
        func inode(_ path: String) throws -> (UInt64, UInt64) {
            var st = stat()
            #expect(lstat(root + path, &st) == 0)
            return (UInt64(st.st_dev), UInt64(st.st_ino))
        }
        func write(_ text: String, _ path: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: root + path))
        }
        // An append that died after writing 11 bytes past the original 8.
        try write("originalHALF UPLOAD", "/d/kept.log")
        let (dev, ino) = try inode("/d/kept.log")
        try write(AppendJournal(device: dev, inode: ino, originalSize: 8, created: false, name: "kept.log").encoded,
                  "/d/.seed-upload-append-aaaa")
        // An append that created its file.
        try write("new bytes", "/created.log")
        let (dev2, ino2) = try inode("/created.log")
        try write(AppendJournal(device: dev2, inode: ino2, originalSize: 0, created: true, name: "created.log").encoded,
                  "/.seed-upload-append-bbbb")
        // A journal whose file was replaced since (a new inode under the name): untouched.
        try write("replaced since, keep me", "/other.log")
        try write(AppendJournal(device: dev, inode: ino &+ 999_999, originalSize: 2, created: false, name: "other.log").encoded,
                  "/.seed-upload-append-cccc")
        // A journal cut short by the crash: nothing was appended yet.
        try write("seed-append 1\n12", "/.seed-upload-append-dddd")
        // A live append of this process: its journal is locked.
        try write("live", "/live.log")
        let live = try await s.openForWriting(FTPPath("/live.log"), mode: .append)
        try await live.write(ByteBuffer(string: " and more"))

        let done = try await s.removeAbandonedUploads()
        #expect(done.map(\.path) == [
            FTPPath("/.seed-upload-append-bbbb"), FTPPath("/.seed-upload-append-cccc"),
            FTPPath("/.seed-upload-append-dddd"), FTPPath("/d/.seed-upload-append-aaaa"),
        ])
        #expect(done.map(\.undo) == [
            .removedCreatedFile(FTPPath("/created.log")), .fileGone(FTPPath("/other.log")), .removedTemporaryFile,
            .truncated(file: FTPPath("/d/kept.log"), toSize: 8),
        ])
        #expect(try String(contentsOfFile: root + "/d/kept.log", encoding: .utf8) == "original")
        #expect(!fm.fileExists(atPath: root + "/created.log"))
        #expect(try String(contentsOfFile: root + "/other.log", encoding: .utf8) == "replaced since, keep me")

        // The live upload was not touched and commits; its journal goes with it.
        try await live.commit()
        #expect(try String(contentsOfFile: root + "/live.log", encoding: .utf8) == "live and more")
        let hidden = try fm.contentsOfDirectory(atPath: root).filter { $0.hasPrefix(".seed-upload-") }
        #expect(hidden.isEmpty, "\(hidden)")
        #expect(try await s.removeAbandonedUploads().isEmpty)
    }
}
