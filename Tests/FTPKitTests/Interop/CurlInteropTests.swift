import Foundation
import Testing
import SeedTestSupport

/// Our server with curl, a client nobody here wrote.
@Suite(.tags(.interop), .inTestSet(.interop)) struct CurlInteropTests {
    func curl(_ args: [String], in dir: URL? = nil) async throws -> ProcessResult {
        let curl = try requireTool("curl", package: "curl")
        return try await runProcess(curl, ["-sS", "--max-time", "60"] + args, directory: dir)
    }

    @Test func uploadDownloadListDeleteRename() async throws {
        try await withServer { server in
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            let data = randomData(3_000_001)
            let src = local.url.appendingPathComponent("src.bin")
            try data.write(to: src)

            var r = try await curl(["-T", src.path, "\(server.url)/up.bin"])
            #expect(r.status == 0, "\(r)")
            #expect(server.read("up.bin") == data)

            let dst = local.url.appendingPathComponent("dst.bin")
            r = try await curl(["\(server.url)/up.bin", "-o", dst.path])
            #expect(r.status == 0, "\(r)")
            #expect(try Data(contentsOf: dst) == data)

            // PASV instead of EPSV, and active mode (EPRT, then PORT).
            r = try await curl(["--disable-epsv", "\(server.url)/up.bin", "-o", dst.path])
            #expect(r.status == 0 && (try? Data(contentsOf: dst)) == data, "\(r)")
            r = try await curl(["-P", "127.0.0.1", "\(server.url)/up.bin", "-o", dst.path])
            #expect(r.status == 0 && (try? Data(contentsOf: dst)) == data, "\(r)")
            r = try await curl(["-P", "127.0.0.1", "--disable-eprt", "\(server.url)/up.bin", "-o", dst.path])
            #expect(r.status == 0 && (try? Data(contentsOf: dst)) == data, "\(r)")

            r = try await curl(["\(server.url)/"])
            #expect(r.stdout.contains("up.bin") && r.stdout.contains("3000001"), "\(r)")
            r = try await curl(["--list-only", "\(server.url)/"])
            #expect(r.stdout.split(whereSeparator: \.isNewline) == ["up.bin"], "\(r)")

            r = try await curl(["-Q", "RNFR up.bin", "-Q", "RNTO moved.bin", "\(server.url)/"])
            #expect(r.status == 0, "\(r)")
            #expect(server.read("moved.bin") == data && server.read("up.bin") == nil)

            r = try await curl(["-Q", "DELE moved.bin", "\(server.url)/"])
            #expect(r.status == 0, "\(r)")
            #expect(server.allFiles().isEmpty)
        }
    }

    /// Whether this machine has IPv6 on loopback (containers may not): the kernel lists `::1` on `lo`.
    static let hasIPv6Loopback = (procFileText("/proc/net/if_inet6") ?? "")
        .split(separator: "\n").contains { $0.hasPrefix("00000000000000000000000000000001") }

    /// Over IPv6: EPSV for passive mode, EPRT for active. PASV and PORT carry IPv4 addresses only (RFC 2428's reason
    /// for EPSV and EPRT), so on an IPv6 control connection PASV is answered 425 with a pointer to EPSV.
    @Test(.enabled(if: Self.hasIPv6Loopback, "no IPv6 on loopback")) func overIPv6() async throws {
        try await withServer({ $0.host = "::1" }) { server in
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            let data = randomData(1_500_000)
            let src = local.url.appendingPathComponent("src.bin")
            try data.write(to: src)
            let url = server.url.replacingOccurrences(of: "@127.0.0.1:", with: "@[::1]:")
            var r = try await curl(["-g", "-T", src.path, "\(url)/six.bin"])
            #expect(r.status == 0, "\(r)")
            #expect(server.read("six.bin") == data)
            let dst = local.url.appendingPathComponent("dst.bin")
            r = try await curl(["-g", "\(url)/six.bin", "-o", dst.path])
            #expect(r.status == 0 && (try? Data(contentsOf: dst)) == data, "\(r)")
            r = try await curl(["-g", "-P", "::1", "\(url)/six.bin", "-o", dst.path])
            #expect(r.status == 0 && (try? Data(contentsOf: dst)) == data, "active mode over IPv6: \(r)")
            r = try await curl(["-g", "--list-only", "\(url)/"])
            #expect(r.stdout.split(whereSeparator: \.isNewline) == ["six.bin"], "\(r)")
            // curl itself never sends PASV over IPv6 (it ignores --disable-epsv there), so it is quoted.
            r = try await curl(["-g", "-v", "-Q", "PASV", "\(url)/"])
            #expect(r.status != 0 && r.stderr.contains("425 PASV needs an IPv4 address; use EPSV."), "\(r)")
        }
    }

    @Test func appendAndResumeBothWays() async throws {
        try await withServer { server in
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            let data = randomData(2_000_000)
            let half = data.prefix(700_000)
            // Resume an upload: the server has the first part, curl -C - asks SIZE and sends the rest with APPE.
            try server.write("resume.bin", Data(half))
            let src = local.url.appendingPathComponent("full.bin")
            try data.write(to: src)
            var r = try await curl(["-C", "-", "-T", src.path, "\(server.url)/resume.bin"])
            #expect(r.status == 0, "\(r)")
            #expect(server.read("resume.bin") == data)

            // Resume a download with REST.
            let dst = local.url.appendingPathComponent("partial.bin")
            try Data(data.prefix(1_234_567)).write(to: dst)
            r = try await curl(["-C", "-", "\(server.url)/resume.bin", "-o", dst.path])
            #expect(r.status == 0, "\(r)")
            #expect(try Data(contentsOf: dst) == data)

            // Plain append.
            let tail = local.url.appendingPathComponent("tail.txt")
            try Data("tail\n".utf8).write(to: tail)
            try server.write("log.txt", Data("head\n".utf8))
            r = try await curl(["--append", "-T", tail.path, "\(server.url)/log.txt"])
            #expect(r.status == 0, "\(r)")
            #expect(server.read("log.txt") == Data("head\ntail\n".utf8))
        }
    }

    @Test func asciiModeAndUTF8NamesWithSpaces() async throws {
        try await withServer { server in
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            try server.write("unix.txt", Data("one\ntwo\n".utf8))
            // curl converts the CRLF the server sends back to local line ends; ftplib checks the wire bytes.
            let r = try await curl(["--use-ascii", "\(server.url)/unix.txt"])
            #expect(r.status == 0 && r.stdout == "one\ntwo\n", "\(r)")
            let text = local.url.appendingPathComponent("text.txt")
            try Data("x\ny\n".utf8).write(to: text)
            let a = try await curl(["--use-ascii", "-T", text.path, "\(server.url)/ascii.txt"])
            #expect(a.status == 0 && server.read("ascii.txt") == Data("x\ny\n".utf8), "\(a)")

            let name = "résumé final 名前.txt"
            let src = local.url.appendingPathComponent("n.txt")
            try Data("hello".utf8).write(to: src)
            let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            var up = try await curl(["-T", src.path, "\(server.url)/\(encoded)"])
            #expect(up.status == 0, "\(up)")
            #expect(server.read(name) == Data("hello".utf8))
            up = try await curl(["--list-only", "\(server.url)/"])
            #expect(up.stdout.contains(name), "\(up)")
            up = try await curl(["--ftp-create-dirs", "-T", src.path, "\(server.url)/new%20dir/deeper/x.txt"])
            #expect(up.status == 0, "\(up)")
            #expect(server.read("new dir/deeper/x.txt") == Data("hello".utf8))
        }
    }

    /// A name with a line break, made on disk by something other than FTP, must not forge listing entries: in MLSD
    /// the text after the break would read as an entry with facts of its own (vsftpd and pyftpdlib print it as is).
    @Test func aNameWithALineBreakForgesNoListingEntry() async throws {
        try await withServer { server in
            try server.write("plain.txt", Data("p".utf8))
            try server.write("evil\r\ntype=file;size=999; forged.txt", Data("e".utf8))
            try server.write("evil2\n-rw-r--r-- 1 ftp ftp 999 Dec  5 14:13 forged2.txt", Data("e".utf8))
            let list = try await curl(["\(server.url)/"])
            #expect(list.status == 0 && list.stdout.contains("plain.txt") && !list.stdout.contains("forged"), "\(list)")
            let names = try await curl(["--list-only", "\(server.url)/"])
            #expect(names.stdout.split(whereSeparator: \.isNewline) == ["plain.txt"], "\(names)")
            let python = try requireTool("python3", package: "python3")
            let mlsd = try await runProcess(python, ["-c", """
                import ftplib, sys
                f = ftplib.FTP(); f.connect("127.0.0.1", int(sys.argv[1])); f.login(sys.argv[2], sys.argv[3])
                print(sorted(name for name, facts in f.mlsd()))
                print(f.sendcmd("STAT /"))
                """, String(server.port), TestFTPServer.user, TestFTPServer.password])
            #expect(mlsd.status == 0 && mlsd.stdout.contains("['plain.txt']") && !mlsd.stdout.contains("forged"), "\(mlsd)")
        }
    }

    /// A FIFO in the root (made by something other than FTP) is refused at once, "550 … Not a regular file.", for
    /// download, append and upload alike, stays a FIFO, and is listed as one. A plain `open(2)` of a FIFO waits for a peer on its
    /// other end and held one of the server's two file threads for good: a third download of it stalled every
    /// file operation of every session. After more refusals than there are file threads, files still go in and out.
    @Test func aFIFOInTheRootIsRefusedAndStallsNothing() async throws {
        try await withServer { server in
            let pipe = server.root.appendingPathComponent("pipe").path
            #expect(mkfifo(pipe, 0o600) == 0)
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            let src = local.url.appendingPathComponent("src.txt")
            try Data("still serving\n".utf8).write(to: src)
            for attempt in 0..<4 {
                // Without SIZE first (which refuses a FIFO too), so that RETR is what answers.
                let r = try await curl(["-v", "--max-time", "30", "--ignore-content-length", "\(server.url)/pipe", "-o", local.path + "/got"])
                #expect(r.status == 78 && r.stderr.contains("550 /pipe: Not a regular file."), "download \(attempt): \(r)")
            }
            for flag in ["--append", nil] as [String?] {
                let r = try await curl(["-v", "--max-time", "30", "-T", src.path] + (flag.map { [$0] } ?? []) + ["\(server.url)/pipe"])
                #expect(r.status == 25 && r.stderr.contains("550 /pipe: Not a regular file."), "\(flag ?? "upload"): \(r)")
            }
            var info = stat()
            #expect(lstat(pipe, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO, "the FIFO is left as it was")
            // Listed as what it is, so a mirroring client leaves it be: `p` in LIST (as vsftpd and pyftpdlib show
            // it), RFC 3659's OS-specific type in MLSD, and no size to fetch.
            let list = try await curl(["\(server.url)/"])
            #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix("prw------- ") && $0.hasSuffix(" pipe") }, "\(list)")
            let python = try requireTool("python3", package: "python3")
            let facts = try await runProcess(python, ["-c", """
                import ftplib, sys
                f = ftplib.FTP(); f.connect("127.0.0.1", int(sys.argv[1])); f.login(sys.argv[2], sys.argv[3])
                print(dict(f.mlsd())["pipe"]["type"])
                try:
                    f.sendcmd("SIZE pipe")
                except ftplib.error_perm as e:
                    print(str(e)[:3])
                """, String(server.port), TestFTPServer.user, TestFTPServer.password])
            #expect(facts.status == 0 && facts.stdout == "OS.unix=fifo\n550\n", "\(facts)")
            var r = try await curl(["-T", src.path, "\(server.url)/after.txt"])
            #expect(r.status == 0, "\(r)")
            r = try await curl(["\(server.url)/after.txt"])
            #expect(r.status == 0 && r.stdout == "still serving\n", "\(r)")
        }
    }

    /// A directory bigger than one of the storage's batches is listed whole and in name order, and an entry
    /// removed while the listing is under way neither breaks it nor is listed with stale details.
    @Test func aDirectoryOfManyBatchesIsListedWholeAndInOrder() async throws {
        try await withServer { server in
            let names = (0..<2_600).map { String(format: "f%05d-%@.txt", ($0 * 7_919) % 2_600, $0 % 3 == 0 ? "é" : "e") }
            for name in names { try server.write("many/" + name, Data(name.utf8)) }
            let plain = try await curl(["--list-only", "\(server.url)/many/"])
            #expect(plain.status == 0, "\(plain)")
            #expect(plain.stdout.split(whereSeparator: \.isNewline).map(String.init) == names.sorted())
            let long = try await curl(["\(server.url)/many/"])
            let lines = long.stdout.split(whereSeparator: \.isNewline)
            #expect(lines.count == names.count && lines.allSatisfy { $0.hasPrefix("-rw") }, "\(lines.prefix(3))")
            #expect(lines.last?.hasSuffix(" " + names.sorted().last!) == true)
        }
    }
}
