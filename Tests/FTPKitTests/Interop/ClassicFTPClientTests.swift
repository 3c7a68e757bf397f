import Foundation
import SeedTestSupport
import Testing

/// Patterns in LIST, NLST and STAT (`pub/*.txt`), with the classic command-line `ftp` client, whose `mget` asks the
/// server to expand the pattern and fetches the names that come back, and with Python's ftplib.
@Suite(.tags(.interop), .inTestSet(.interop)) struct ClassicFTPClientTests {
    static func populate(_ server: TestFTPServer) throws {
        for name in ["a.txt", "b.txt", "c.bin", ".hidden.txt", "sp ace.txt", "x[1].txt", "x1.txt", "sub/d.txt"] {
            try server.write("pub/" + name, Data("content of \(name)".utf8))
        }
    }

    @Test func mgetFetchesWhatAPatternMatches() async throws {
        let ftp = try requireTool("ftp", package: "ftp")
        try await withServer { server in
            try Self.populate(server)
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            // The client writes "pub/a.txt" into a local directory of that name; it does not make one.
            try FileManager.default.createDirectory(at: local.url.appendingPathComponent("pub"), withIntermediateDirectories: true)
            let script = """
                user \(TestFTPServer.user) "\(TestFTPServer.password)"
                prompt off
                binary
                mget pub/*.txt
                cd pub
                mget *.bin
                bye

                """
            let r = try await runProcess(ftp, ["-n", "-v", "127.0.0.1", String(server.port)], stdin: script, directory: local.url)
            #expect(r.status == 0, "\(r)")
            let fetched = try FileManager.default.subpathsOfDirectory(atPath: local.path).sorted()
            // `*` leaves the hidden file out and matches no directory's contents; "x[1].txt" is a name like any other.
            #expect(fetched == ["c.bin", "pub", "pub/a.txt", "pub/b.txt", "pub/sp ace.txt", "pub/x1.txt", "pub/x[1].txt"], "\(r)")
            for name in ["pub/a.txt", "pub/sp ace.txt", "c.bin"] {
                let file = name.hasPrefix("pub/") ? name : "pub/" + name
                #expect(try Data(contentsOf: local.url.appendingPathComponent(name)) == server.read(file), "\(name)")
            }
        }
    }

    @Test func listingsOfPatternsAsLsPrintsThem() async throws {
        try await withServer { server in
            try Self.populate(server)
            let python = try requireTool("python3", package: "python3")
            let r = try await runProcess(python, ["-c", """
                import ftplib, sys
                f = ftplib.FTP(); f.connect("127.0.0.1", int(sys.argv[1])); f.login(sys.argv[2], sys.argv[3])
                def check(what, got, want):
                    if got != want: sys.exit("%s: got %r, want %r" % (what, got, want))
                def refused(what, call):
                    try: call()
                    except ftplib.error_perm as e:
                        if str(e).startswith("550"): return
                        raise
                    sys.exit(what + " was not refused")
                # A pattern's matches and a file come back as the paths typed; a directory's entries as bare names.
                check("NLST pattern", f.nlst("pub/?.txt"), ["pub/a.txt", "pub/b.txt"])
                check("NLST absolute", f.nlst("/pub/*.bin"), ["/pub/c.bin"])
                check("NLST options", f.nlst("-la pub/*.bin"), ["pub/c.bin"])
                check("NLST file", f.nlst("pub/a.txt"), ["pub/a.txt"])
                check("NLST directory", f.nlst("pub"), [".hidden.txt", "a.txt", "b.txt", "c.bin", "sp ace.txt", "sub", "x1.txt", "x[1].txt"])
                check("NLST dot pattern", f.nlst("pub/.*"), ["pub/.hidden.txt"])
                check("NLST brackets", f.nlst("pub/[ab].*"), ["pub/a.txt", "pub/b.txt"])
                # A name that exists is that entry, even when it reads as a pattern.
                check("NLST literal", f.nlst("pub/x[1].txt"), ["pub/x[1].txt"])
                check("NLST no match", f.nlst("pub/*.pdf"), [])
                f.cwd("pub")
                check("NLST in the directory", f.nlst("*.bin"), ["c.bin"])
                f.cwd("/")
                lines = []
                f.retrlines("LIST pub/*.bin", lines.append)
                check("LIST pattern", [l.split()[-1] for l in lines], ["c.bin"])
                check("STAT pattern", [l.split()[-1] for l in f.sendcmd("STAT pub/*.bin").splitlines()[1:-1]], ["c.bin"])
                refused("a pattern in a missing directory", lambda: f.nlst("nowhere/*.txt"))
                refused("MLSD of a pattern (RFC 3659 takes none)", lambda: list(f.mlsd("pub/*.txt")))
                refused("a pattern in a directory's place", lambda: f.nlst("p*/a.txt"))
                print("ok")
                """, String(server.port), TestFTPServer.user, TestFTPServer.password])
            #expect(r.status == 0 && r.stdout.contains("ok"), "\(r)")
        }
    }
}
