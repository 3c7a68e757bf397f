import Foundation
import SeedTestSupport
import Testing

/// STAT with a directory: its listing comes back over the control connection as one multi-line reply (RFC 959),
/// written a batch of entries at a time as the client reads it. Checked with Python's ftplib and a raw socket.
@Suite(.tags(.interop), .inTestSet(.interop)) struct StatusListingTests {
    /// 2,600 entries, more than two of the storage's batches: the reply holds every line LIST sends (each indented
    /// by the space that marks an inner line), commands sent behind STAT are answered after its last line and in
    /// order, and a file, a pattern and a missing path still get their own answers.
    @Test func aBigDirectorysStatusIsItsWholeListing() async throws {
        try await withServer { server in
            for i in 0..<2_600 { try server.write(String(format: "many/f%05d.txt", (i * 7_919) % 2_600), Data("\(i)".utf8)) }
            let python = try requireTool("python3", package: "python3")
            let r = try await runProcess(python, ["-c", """
                import ftplib, socket, sys
                port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
                def check(what, ok):
                    if not ok: sys.exit("FAILED: " + what)
                f = ftplib.FTP(); f.connect("127.0.0.1", port); f.login(user, password)
                listed = []
                f.retrlines("LIST many", listed.append)
                status = f.sendcmd("STAT many").splitlines()
                check("the first and last lines: %r %r" % (status[0], status[-1]),
                      status[0] == "213-Status of /many:" and status[-1] == "213 End of status.")
                check("inner lines indented", all(l.startswith(" ") for l in status[1:-1]))
                check("STAT's lines are LIST's (%d against %d)" % (len(status) - 2, len(listed)),
                      [l[1:] for l in status[1:-1]] == listed and len(listed) == 2600)
                one = f.sendcmd("STAT many/f00042.txt").splitlines()
                check("a file: %r" % one, len(one) == 3 and one[1].endswith(" f00042.txt"))
                some = f.sendcmd("STAT many/f0000?.txt").splitlines()
                check("a pattern: %r" % some[:3], [l.split()[-1] for l in some[1:-1]] == ["f%05d.txt" % i for i in range(10)])
                try:
                    f.sendcmd("STAT nowhere")
                    check("a missing path was answered", False)
                except ftplib.error_perm as e:
                    check("a missing path: %s" % e, str(e).startswith("550"))
                f.quit()
                # Commands sent together with STAT wait for its reply to end, then come in order.
                s = socket.create_connection(("127.0.0.1", port), timeout=30)
                r = s.makefile("rb")
                r.readline()
                s.sendall(("USER %s\\r\\nPASS %s\\r\\nSTAT many\\r\\nNOOP\\r\\nSTAT many/f00001.txt\\r\\nQUIT\\r\\n" % (user, password)).encode())
                lines = [l.decode().rstrip("\\r\\n") for l in r.readlines()]
                check("pipelined: %r" % lines[:3], lines[0][:3] in ("230", "331"))
                start = lines.index("213-Status of /many:")
                end = lines.index("213 End of status.")
                check("pipelined listing", end - start - 1 == 2600)
                check("then NOOP: %r" % lines[end + 1:end + 2], lines[end + 1].startswith("200"))
                check("then the file", lines[end + 2] == "213-Status of /many/f00001.txt:" and lines[end + 4] == "213 End of status.")
                check("then QUIT", lines[end + 5].startswith("221") and len(lines) == end + 6)
                print("ok")
                """, String(server.port), TestFTPServer.user, TestFTPServer.password])
            #expect(r.status == 0 && r.stdout.contains("ok"), "\(r)")
        }
    }
}
