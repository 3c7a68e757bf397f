import Foundation
import NIOCore
import NIOPosix
import SeedTestSupport
import Synchronization
import Testing

/// `ftpbot` in its embedded default (no Discord token): local nodes and commands from a pipe.
@Suite(.tags(.slow), .inTestSet(.slow)) struct ConsoleModeTests {
    static var binary: String { Binaries.ftpbot }

    func run(
        _ script: String, in dir: URL, environment: [String: String] = [:], arguments: [String] = []
    ) async throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        let data = ["--data", dir.path + "/data"]
        switch arguments.first {
        case "catalog": p.arguments = arguments
        case "drain", "rebalance", "scrub": p.arguments = [arguments[0]] + data + arguments.dropFirst()
        default: p.arguments = data + arguments
        }
        p.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["DISCORD_TOKEN"] = nil
        env["DISCORD_TOKEN_FILE"] = nil
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = dir.appendingPathComponent("out.txt"), err = dir.appendingPathComponent("err.txt")
        try Data().write(to: out)
        try Data().write(to: err)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        let input = Pipe()
        p.standardInput = input
        let status: Int32 = try await withCheckedThrowingContinuation { c in
            p.terminationHandler = { c.resume(returning: $0.terminationStatus) }
            do { try p.run() } catch {
                p.terminationHandler = nil
                c.resume(throwing: error)
                return
            }
            input.fileHandleForWriting.write(Data(script.utf8))
            try? input.fileHandleForWriting.close()
        }
        return (status, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
    }

    @Test func uploadListDownloadDeleteThroughAPipe() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var bytes = [UInt8](repeating: 0, count: 1_500_000)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 7 &+ i >> 9) }
        try Data(bytes).write(to: dir.appendingPathComponent("report.pdf"))

        let (status, out, err) = try await run("""
            !upload report.pdf
            !listar
            !download report.pdf copy.pdf
            !download reprot.pdf
            !apagar report.pdf
            !list
            !upload missing.bin
            !frobnicate

            """, in: dir)
        #expect(status == 0, "\(err)")
        // The data directory it made holds every space's files: its owner's alone.
        let mode = try FileManager.default.attributesOfItem(atPath: dir.path + "/data")[.posixPermissions] as? Int
        #expect(mode == 0o700)
        #expect(out.contains("Uploaded report.pdf (1.4 MiB"), "\(out)")
        #expect(out.contains("to node"), "\(out)")
        #expect(out.contains("report.pdf  1.4 MiB") && out.contains("replicas 2/2"), "\(out)")
        #expect(try Data(contentsOf: dir.appendingPathComponent("copy.pdf")) == Data(bytes))
        #expect(out.contains("No file named 'reprot.pdf'. Did you mean 'report.pdf'?"), "\(out)")
        #expect(out.contains("Deleted report.pdf."), "\(out)")
        #expect(out.contains("No files yet.") && !out.contains("\n0 files,"), "\(out)")
        #expect(out.contains("No file at missing.bin."), "\(out)")
        #expect(out.contains("Unknown command !frobnicate."), "\(out)")

        // Paths and names with spaces work without quotes when they are unambiguous; otherwise the answer says to
        // quote them.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
        try Data("quarterly".utf8).write(to: dir.appendingPathComponent("reports/my report.pdf"))
        let (_, spaced, _) = try await run("""
            !upload reports/my report.pdf
            !upload reports/my report.pdf final version.pdf
            !upload reports/my notes.pdf
            !upload reports
            !download my report.pdf
            !download final version.pdf copy of final.pdf
            !download final version.pdf reports/
            !delete my report.pdf

            """, in: dir)
        #expect(spaced.contains("Uploaded my report.pdf (9 B"), "\(spaced)")
        #expect(spaced.contains("Uploaded final version.pdf (9 B"), "\(spaced)")
        #expect(spaced.contains(#"No file at reports/my. Quote a path that has spaces: !upload "reports/my notes.pdf""#), "\(spaced)")
        #expect(spaced.contains("reports is a directory: !upload takes one file."), "\(spaced)")
        #expect(spaced.contains("Downloaded my report.pdf (9 B) to my report.pdf"), "\(spaced)")
        #expect(try Data(contentsOf: dir.appendingPathComponent("copy of final.pdf")) == Data("quarterly".utf8))
        // Into a directory, named with or without its slash: the file keeps its name there.
        #expect(spaced.contains("Downloaded final version.pdf (9 B) to reports/final version.pdf;"), "\(spaced)")
        #expect(spaced.contains("Deleted my report.pdf."), "\(spaced)")
        // The console's files live in its own space on the nodes.
        #expect(FileManager.default.fileExists(atPath: dir.path + "/data/node0/console")
            || FileManager.default.fileExists(atPath: dir.path + "/data/node1/console"))

        // Links: the web front end says where it listens; !link prints a URL on its own line (served: WebLinksTests).
        let (_, linked, linkErr) = try await run("!link final version.pdf\n!link final version.pdf 2\n!link nothing.pdf\n!upload\n", in: dir)
        #expect(linkErr.contains("Web links and upload pages: http://127.0.0.1:"), "\(linkErr)")
        let urls = linked.split(separator: "\n").filter { $0.hasPrefix("http://127.0.0.1:") }
        #expect(urls.count == 3 && urls.prefix(2).allSatisfy { $0.hasSuffix("/final%20version.pdf") }, "\(linked)")
        // `!upload` with no path, like Discord's without an attachment, offers the upload page.
        #expect(linked.contains("Usage: !upload PATH [NAME], or send a file through this page.\nUpload page (works once"), "\(linked)")
        #expect(urls.last?.contains("/u/") == true, "\(linked)")
        #expect(linked.contains("No file named 'nothing.pdf'."), "\(linked)")
        // A maximum under the 24-hour default makes the default the maximum; it is never lifted.
        let capped = dir.appendingPathComponent("capped.json").path
        try #"{"http": {"maxLinkLifetime": 2}}"#.write(toFile: capped, atomically: true, encoding: .utf8)
        let (_, short, _) = try await run("!link final version.pdf\n!link final version.pdf 3\n", in: dir, arguments: ["--config", capped])
        #expect(short.split(separator: "\n").filter { $0.hasPrefix("http://127.0.0.1:") }.count == 1, "\(short)")
        #expect(short.contains("A link can live at most 2 hours; 3 hours is too long."), "\(short)")
        // Lifetimes Double would read but no link can have: words of the name, or refused; never a crash (before,
        // `inf` and `99999999999999999999` trapped converting to Int and killed the bot).
        let (odd, strange, _) = try await run(
            "!link final version.pdf inf\n!link final version.pdf nan\n!link final version.pdf 99999999999999999999\n!status\n", in: dir)
        #expect(odd == 0, "\(strange)")
        #expect(strange.contains("No file named 'final version.pdf inf'."), "\(strange)")
        #expect(strange.contains("No file named 'final version.pdf nan'."), "\(strange)")
        #expect(strange.contains("A link can live at most 168 hours; 1e+20 hours is too long."), "\(strange)")
        #expect(strange.contains("node0: up"), "the bot went on: \(strange)")

        // Help names each command once: `!link` is the usage, so its other name is the one given as an alias.
        let (_, help, _) = try await run("!help\n", in: dir)
        let linkLine = help.split(separator: "\n").first { $0.hasPrefix("!link NAME [HOURS]") }
        #expect(linkLine?.hasSuffix("(also !share)") == true, "\(help)")
        #expect(help.split(separator: "\n").first { $0.hasPrefix("!list ") }?.hasSuffix("(also !listar, !ls)") == true, "\(help)")

        // The catalog outlives the process: a second run still knows what was stored.
        let (_, again, _) = try await run("!upload report.pdf kept.pdf\n", in: dir)
        #expect(again.contains("Uploaded kept.pdf"))
        let (_, listed, _) = try await run("!list\n", in: dir)
        #expect(listed.contains("kept.pdf") && listed.contains("2 files,"), "\(listed)")
    }

    /// A pipe or a device has no size: it streams until its end, cut off at the per-file limit (before, its stat
    /// size of 0 was taken as announced, and the first byte refused it as having "gone on past" it).
    @Test func aPipeOrADeviceStreamsUntilItsEnd() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(mkfifo(dir.appendingPathComponent("feed").path, 0o600) == 0)
        let bytes = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        try bytes.write(to: dir.appendingPathComponent("source.bin"))
        /// Feeds the FIFO once, as another program would.
        func feed() throws -> Process {
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/bin/sh")
            writer.arguments = ["-c", "cat source.bin > feed 2>/dev/null"]
            writer.currentDirectoryURL = dir
            try writer.run()
            return writer
        }
        var writer = try feed()
        let (status, out, err) = try await run("!upload feed piped.bin\n!download piped.bin back.bin\n", in: dir)
        if writer.isRunning { writer.terminate() }  // a console that never opened the FIFO leaves it blocked
        writer.waitUntilExit()
        #expect(status == 0, "\(err)")
        #expect(out.contains("Uploaded piped.bin (293.0 KiB"), "\(out)")
        #expect(try Data(contentsOf: dir.appendingPathComponent("back.bin")) == bytes)

        // Under a 100 kB limit, the FIFO's 300 kB and /dev/zero's endless bytes are refused as too large.
        try #"{"maxFileSize": 100000}"#.write(to: dir.appendingPathComponent("c.json"), atomically: true, encoding: .utf8)
        writer = try feed()
        let (limited, refused, limitedErr) = try await run(
            "!upload feed big.bin\n!upload /dev/zero zeros.bin\n", in: dir,
            arguments: ["--config", dir.appendingPathComponent("c.json").path])
        if writer.isRunning { writer.terminate() }  // a console that never opened the FIFO leaves it blocked
        writer.waitUntilExit()
        #expect(limited == 0, "\(limitedErr)")
        for name in ["big.bin", "zeros.bin"] {
            #expect(refused.contains("'\(name)' is") && refused.contains("the limit is 97.7 KiB per file"), "\(refused)")
        }
        #expect(!refused.contains("announced"), "\(refused)")

        // A file of stat size 0 is read to its end: empty, or made up by the kernel as it is read (before, a
        // /proc file was refused as having grown past the 0 bytes it announced).
        try Data().write(to: dir.appendingPathComponent("empty.txt"))
        let (procStatus, procOut, procErr) = try await run(
            "!upload /proc/self/status status.txt\n!upload empty.txt\n!download status.txt status.copy\n", in: dir)
        #expect(procStatus == 0, "\(procErr)")
        #expect(procOut.contains("Uploaded status.txt (") && procOut.contains("Uploaded empty.txt (0 B"), "\(procOut)")
        let copied = try String(contentsOf: dir.appendingPathComponent("status.copy"), encoding: .utf8)
        #expect(copied.hasPrefix("Name:") && copied.contains("Pid:"), "\(copied)")
    }

    /// Without an address the web front end takes 127.0.0.1:8080 or the next free port, by binding (not by probing
    /// first): consoles starting together while 8080 is taken each start, and their links name the port each got.
    /// A file whose name is at the 255-byte limit goes up through the nodes and down into a local file of that name:
    /// neither the nodes' temporary copy nor the local partial file may outgrow the limit.
    @Test func aNameAtTheByteLimitGoesUpAndDown() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let exact = String(repeating: "é", count: 122) + "-report.pdf"  // 244 + 11 = 255 bytes
        let bytes = Data((0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try bytes.write(to: dir.appendingPathComponent("source.bin"))
        let (status, out, err) = try await run(
            "!upload source.bin \(exact)\n!download \(exact)\n!upload source.bin \(exact)\n!listar\n", in: dir)
        #expect(status == 0, "\(err)")
        #expect(out.contains("Uploaded \(exact) ("), "\(out)")
        #expect(try Data(contentsOf: dir.appendingPathComponent(exact)) == bytes)
        #expect(!out.localizedCaseInsensitiveContains("fail"), "\(out)")
        // The second upload of the name is kept beside it, under a name that gave up bytes for its number.
        let second = String(repeating: "é", count: 122) + "-re (2).pdf"
        #expect(second.utf8.count == 255 && out.contains("Uploaded \(second) ("), "\(out)")
        #expect(out.contains("2 files"), "\(out)")
    }

    /// tmpfs holds sparse files up to 2^63 − 1 bytes, so nodes can truly list sizes whose sum overflows 64 bits:
    /// `!list` and `!status` say so (saturating) instead of trapping (before, three such files killed the bot).
    @Test(.enabled(if: FileManager.default.isWritableFile(atPath: "/dev/shm"), "no /dev/shm"))
    func filesOfExabytesAreListed() async throws {
        let dir = URL(fileURLWithPath: "/dev/shm").appendingPathComponent("bot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (first, _, firstErr) = try await run("!status\n", in: dir)
        #expect(first == 0, "\(firstErr)")
        for node in ["node0", "node1"] {
            let space = dir.appendingPathComponent("data/\(node)/console")
            try FileManager.default.createDirectory(at: space, withIntermediateDirectories: true)
            for name in ["a.bin", "b.bin", "c.bin"] {
                let path = space.appendingPathComponent(name).path
                #expect(FileManager.default.createFile(atPath: path, contents: nil))
                #expect(truncate(path, off_t.max) == 0, "sparse \(path)")
            }
        }
        let (status, out, err) = try await run("!list\n!status\n", in: dir)
        #expect(status == 0, "\(err)")
        #expect(out.contains("a.bin  8.0 EiB") && out.contains("c.bin  8.0 EiB"), "\(out)")
        #expect(out.contains("3 files, 16.0 EiB stored with replicas."), "\(out)")
        #expect(out.contains("node0: up"), "\(out)")
    }

    /// A download to a device, a named pipe or a link writes through it and never replaces it (before, a file was
    /// renamed over the name: `!download x /dev/full` put a regular file where the device was). A device that
    /// refuses the bytes says why; a link keeps pointing at the file, which is replaced.
    @Test func aDownloadWritesThroughDevicesAndLinks() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        try bytes.write(to: dir.appendingPathComponent("source.bin"))
        // Devices of our own (null and full), so nothing of the system's is at stake whatever happens.
        for (name, minor) in [("null", "3"), ("full", "7")] {
            let made = try await Command.run(["mknod", "-m", "666", dir.path + "/" + name, "c", "1", minor])
            #expect(made.status == 0, "mknod needs root: \(made)")
        }
        try Data("old".utf8).write(to: dir.appendingPathComponent("real.bin"))
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/link", withDestinationPath: "real.bin")
        // The pipe's reader is this test, opened read-write so neither end's open waits for the other, with a
        // buffer that holds the whole file, so the bot's writes never wait for the test to read.
        let pipe = dir.path + "/pipe"
        #expect(mkfifo(pipe, 0o600) == 0)
        let reader = open(pipe, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        #expect(reader >= 0)
        defer { close(reader) }
        let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ, which Glibc hides behind _GNU_SOURCE
        #expect(fcntl(reader, setPipeSize, 1 << 20) >= bytes.count, "a pipe buffer of 1 MiB")
        let (status, out, err) = try await run("""
            !upload source.bin s.bin
            !download s.bin \(dir.path)/null
            !download s.bin \(dir.path)/full
            !download s.bin \(dir.path)/link
            !download s.bin \(pipe)

            """, in: dir)
        #expect(status == 0, "\(err)")
        #expect(out.contains("Downloaded s.bin (293.0 KiB) to \(dir.path)/null; checksum verified."), "\(out)")
        #expect(out.contains("Cannot write \(dir.path)/full: No space left on device."), "\(out)")
        for device in ["null", "full"] {
            let type = try FileManager.default.attributesOfItem(atPath: dir.path + "/" + device)[.type] as? FileAttributeType
            #expect(type == .typeCharacterSpecial, "\(device) is still a device")
        }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.path + "/link") == "real.bin")
        #expect(try Data(contentsOf: dir.appendingPathComponent("real.bin")) == bytes)
        #expect(out.contains("Downloaded s.bin (293.0 KiB) to \(pipe); checksum verified."), "\(out)")
        var piped = [UInt8](repeating: 0, count: bytes.count + 1)
        let got = piped.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
        #expect(got == bytes.count && Data(piped.prefix(max(0, got))) == bytes, "the pipe held \(got) bytes")
        var info = stat()
        #expect(lstat(pipe, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO, "the pipe is still a pipe")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".part-") }
        #expect(left.isEmpty, "\(left)")
    }

    /// A download never harms what is already on disk: a directory where the file would go is refused before
    /// anything is fetched (before, the download removed that directory with everything in it, to put the file
    /// there), a file named like the old partial file (`NAME.part`) is left alone, and an existing file is replaced
    /// in one rename.
    @Test func aDownloadLeavesDirectoriesAndOtherFilesAlone() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("new".utf8).write(to: dir.appendingPathComponent("photos.src"))
        let (stored, _, storeErr) = try await run("!upload photos.src photos\n", in: dir)
        #expect(stored == 0, "\(storeErr)")

        let album = dir.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: album, withIntermediateDirectories: true)
        try Data("holiday".utf8).write(to: album.appendingPathComponent("1.jpg"))
        try Data("mine".utf8).write(to: dir.appendingPathComponent("kept.txt.part"))
        try Data("old".utf8).write(to: dir.appendingPathComponent("kept.txt"))
        let (status, out, err) = try await run(
            "!download photos .\n!download photos kept.txt\n!download photos nowhere/x.txt\n", in: dir)
        #expect(status == 0, "\(err)")
        #expect(out.contains("Cannot write ./photos: it is a directory."), "\(out)")
        #expect(out.contains("Cannot write nowhere/x.txt: No such file or directory."), "\(out)")
        #expect(try Data(contentsOf: album.appendingPathComponent("1.jpg")) == Data("holiday".utf8))
        #expect(out.contains("Downloaded photos (3 B) to kept.txt; checksum verified."), "\(out)")
        #expect(try Data(contentsOf: dir.appendingPathComponent("kept.txt")) == Data("new".utf8))
        #expect(try Data(contentsOf: dir.appendingPathComponent("kept.txt.part")) == Data("mine".utf8))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".part-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func defaultWebPortMovesOnWhenTaken() async throws {
        // Hold 8080. Another console test of this run may hold it for a moment (and let it go while these bots
        // start, which would hand one of them 8080): wait until this test holds it itself. A program outside the
        // run that keeps it (a bot a developer runs beside the tests) takes it as well as this test would.
        let holder = Mutex<(any Channel)?>(nil)
        try? await eventually("holding port 8080", timeout: .seconds(30)) {
            guard let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1).bind(host: "127.0.0.1", port: 8080).get()
            else { return false }
            holder.withLock { $0 = channel }
            return true
        }
        let held = holder.withLock { $0 }
        let dirs = try (0..<3).map { _ in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bot-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return dir
        }
        defer { for dir in dirs { try? FileManager.default.removeItem(at: dir) } }
        try await withThrowingTaskGroup(of: (Int32, String, String).self) { group in
            for dir in dirs {
                group.addTask { try await self.run("!uploadlink\n", in: dir) }
            }
            for try await (status, out, err) in group {
                #expect(status == 0, "\(err)")
                let line = try #require(err.split(separator: "\n").first { $0.hasPrefix("Web links and upload pages: ") })
                let port = try #require(Int(line.split(separator: ":").last?.dropLast() ?? ""))
                #expect(port != 8080 && (8081..<8180).contains(port), "\(line)")
                let url = try #require(out.split(separator: "\n").first { $0.hasPrefix("http://") })
                #expect(url.hasPrefix("http://127.0.0.1:\(port)/u/"), "\(out)")
            }
        }
        try await held?.close()
    }

    /// Relative paths in a configuration file are the file's neighbours, whatever directory the bot starts in
    /// (before, a password file beside the configuration "could not be read" from any other directory).
    @Test func pathsInAConfigurationFileAreItsNeighbours() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bot-\(UUID().uuidString)")
        let etc = dir.appendingPathComponent("etc")
        try FileManager.default.createDirectory(at: etc, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("secret\n".utf8).write(to: etc.appendingPathComponent("node.pw"))
        try Data(#"""
            {"nodes": [{"name": "a", "host": "127.0.0.1", "port": 2121, "user": "bot", "passwordFile": "node.pw"}],
             "catalog": "sqlite:state/catalog.sqlite"}
            """#.utf8).write(to: etc.appendingPathComponent("bot.json"))
        try FileManager.default.createDirectory(at: etc.appendingPathComponent("state"), withIntermediateDirectories: true)
        let (status, out, err) = try await run("", in: dir, arguments: ["--config", "etc/bot.json", "--check-config"])
        #expect(status == 0, "\(err)")
        #expect(out.contains("catalog sqlite:\(etc.path)/state/catalog.sqlite ("), "\(out)")
        // An environment override that is not a number is reported, with or without a file (before: ignored).
        for arguments in [["--config", "etc/bot.json", "--check-config"], ["--check-config"]] {
            let (bad, _, badErr) = try await run("", in: dir, environment: ["FTPBOT_REPLICAS": "two"], arguments: arguments)
            #expect(bad == 1 && badErr.contains("FTPBOT_REPLICAS: 'two' is not a whole number"), "\(arguments): \(badErr)")
        }
    }

    /// A web address that cannot be had is one sentence naming it (before: `bind(descriptor:ptr:bytes:): Address
    /// already in use) (errno: 98)` and `SocketAddressError.UnknownHost …`), and an IPv6 address is written as in
    /// URLs, `[::1]:PORT` (before, the brackets were taken as part of the host name).
    @Test func aWebAddressThatCannotBeHadIsExplained() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let held = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(held.localAddress?.port)
        let (taken, _, takenErr) = try await run("!status\n", in: dir, arguments: ["--http-address", "127.0.0.1:\(port)"])
        try await held.close()
        #expect(taken == 1 && takenErr.contains(
            "Error: the web front end cannot listen on 127.0.0.1:\(port): something already listens there"), "\(takenErr)")
        let (unknown, _, unknownErr) = try await run("!status\n", in: dir, arguments: ["--http-address", "256.1.1.1:80"])
        #expect(unknown == 1 && unknownErr.contains("cannot listen on 256.1.1.1:80: not an address of this machine")
            && !unknownErr.contains("SocketAddressError"), "\(unknownErr)")

        // IPv6, where this machine has a loopback for it.
        guard (try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "::1", port: 0).get().close()) != nil
        else { return }
        let (v6, out, v6Err) = try await run("!uploadlink\n", in: dir, arguments: ["--http-address", "[::1]:0"])
        #expect(v6 == 0, "\(v6Err)")
        #expect(out.contains("http://[::1]:"), "\(out)")
    }

    /// SIGTERM while the console waits for input: the service group shuts down in order (console, web front end,
    /// local nodes) and the process exits 0, as it does at the end of its input.
    @Test func sigtermEndsTheConsoleCleanly() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let console = try RunningConsole.start(in: dir)
        defer { console.stop() }
        try await console.waitUntilServing()
        console.process.terminate()
        let status = await console.exitStatus()
        #expect(status == 0, "\(console.errors)")
        #expect(console.process.terminationReason == .exit)
    }
}

/// A console bot left running (`--data DIR/data`): its standard input is held open, so it waits for commands.
struct RunningConsole {
    let process: Process
    private let errorFile: URL
    private let input: Pipe
    private let ended: AsyncStream<Int32>

    static func start(in dir: URL, arguments: [String] = []) throws -> RunningConsole {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ConsoleModeTests.binary)
        p.arguments = ["--data", dir.path + "/data"] + arguments
        p.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["DISCORD_TOKEN"] = nil
        env["DISCORD_TOKEN_FILE"] = nil
        p.environment = env
        let err = dir.appendingPathComponent("console-err-\(UUID().uuidString).txt")
        try Data().write(to: err)
        p.standardError = try FileHandle(forWritingTo: err)
        p.standardOutput = FileHandle.nullDevice
        let input = Pipe()
        p.standardInput = input
        let (ended, endedContinuation) = AsyncStream<Int32>.makeStream()
        p.terminationHandler = { endedContinuation.yield($0.terminationStatus) }
        try p.run()
        return RunningConsole(process: p, errorFile: err, input: input, ended: ended)
    }

    /// What it wrote on standard error so far.
    var errors: String { (try? String(contentsOf: self.errorFile, encoding: .utf8)) ?? "" }

    /// Until it has started and says where its web links are.
    func waitUntilServing() async throws {
        try await eventually("the console serving its links", timeout: .seconds(120)) {
            self.errors.contains("Web links and upload pages:")
        }
    }

    /// Its exit status, once it has ended.
    func exitStatus() async -> Int32? {
        var statuses = self.ended.makeAsyncIterator()
        return await statuses.next()
    }

    /// Ends it if it still runs, and closes its input.
    func stop() {
        if self.process.isRunning { self.process.terminate() }
        try? self.input.fileHandleForWriting.close()
    }
}
