import FTPKit
import Foundation
import SeedTestSupport
import Testing

/// Every session the server ever had is freed once its connection is gone, however it ended: a plain QUIT, a
/// client that hangs up at any point (before the greeting, with a passive port open, in the middle of a download),
/// a failed login, and the same over FTPS. Before, the session and its connection's handler context held each
/// other, so every connection left 2 KiB behind for the life of the process (a server that had seen 40,000
/// connections held 80 MiB more than one that had seen none).
@Suite(.tags(.interop), .inTestSet(.interop)) struct SessionLifetimeTests {
    /// Sessions of every ending, from Python's ftplib and raw sockets; `tls` makes the ftplib ones FTPS.
    static func script(tls: Bool) -> String {
        """
        import ftplib, io, socket, sys
        port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        def client():
            if \(tls ? "True" : "False"):
                f = ftplib.FTP_TLS(timeout=30); f.connect("127.0.0.1", port); f.login(user, password); f.prot_p()
            else:
                f = ftplib.FTP(timeout=30); f.connect("127.0.0.1", port); f.login(user, password)
            return f
        for i in range(20):  # a polite session, with every kind of transfer
            f = client()
            f.storbinary("STOR s%d.bin" % i, io.BytesIO(b"x" * (1000 * i)))
            f.retrbinary("RETR s%d.bin" % i, lambda b: None)
            f.retrlines("LIST", lambda l: None); f.nlst(); list(f.mlsd())
            f.quit()
        for i in range(5):  # hangs up with a passive port open
            f = client(); f.sendcmd("TYPE I"); f.makepasv(); f.sock.close()
        for i in range(5):  # hangs up in the middle of a download
            f = client(); f.sendcmd("TYPE I")
            data = f.transfercmd("RETR big.bin"); data.recv(65536); f.sock.close(); data.close()
        for i in range(5):  # a wrong password, then QUIT
            f = ftplib.FTP(timeout=30); f.connect("127.0.0.1", port)
            try:
                f.login(user, "wrong")
            except ftplib.error_perm:
                pass
            f.quit()
        for i in range(20):  # raw connections: QUIT after the greeting, a hang-up after it, and one before it
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            if i % 3 == 0:
                s.recv(1000); s.sendall(b"QUIT\\r\\n"); s.recv(1000)
            elif i % 3 == 1:
                s.recv(1000)
            s.close()
        print("done")
        """
    }

    func run(_ server: TestFTPServer, tls: Bool) async throws {
        try server.write("big.bin", randomData(8 << 20))
        // The count sees a session while it lives.
        let held = try await FTPClient.connect(host: "127.0.0.1", port: server.port)
        try await held.login(user: TestFTPServer.user, password: TestFTPServer.password)
        #expect(server.server.sessionsInMemory >= 1)
        try await held.quit()

        let python = try requireTool("python3", package: "python3")
        let result = try await runProcess(
            python, ["-c", Self.script(tls: tls), String(server.port), TestFTPServer.user, TestFTPServer.password])
        #expect(result.status == 0 && result.stdout == "done\n", "\(result)")
        try await eventually("every session freed (\(server.server.sessionsInMemory) in memory)") {
            server.server.sessionsInMemory == 0 && server.server.sessionCount == 0
        }
    }

    @Test func everySessionIsFreedOnceItsConnectionHasGone() async throws {
        try await withServer { server in try await self.run(server, tls: false) }
    }

    /// Connections refused before they become sessions (an address the policy denies, one over the per-address
    /// limit) are freed too: their session objects exist from the accept on.
    @Test func refusedConnectionsAreFreed() async throws {
        try await withServer({
            $0.addressPolicy = try! FTPAddressPolicy(allow: [], deny: ["127.0.0.2"])
            $0.maxSessionsPerAddress = 2
        }) { server in
            let python = try requireTool("python3", package: "python3")
            let result = try await runProcess(python, ["-c", """
                import socket, sys
                port = int(sys.argv[1])
                codes = []
                for i in range(10):  # denied by address
                    s = socket.socket(); s.settimeout(30); s.bind(("127.0.0.2", 0)); s.connect(("127.0.0.1", port))
                    codes.append(s.recv(200)[:3].decode()); s.close()
                held = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(2)]
                for s in held: s.recv(200)
                for i in range(10):  # over the per-address limit
                    s = socket.create_connection(("127.0.0.1", port), timeout=30)
                    codes.append(s.recv(200)[:3].decode()); s.close()
                for s in held: s.close()
                print(" ".join(sorted(set(codes))))
                """, String(server.port)])
            #expect(result.stdout == "421\n", "\(result)")
            try await eventually("every refused connection freed (\(server.server.sessionsInMemory) in memory)") {
                server.server.sessionsInMemory == 0 && server.server.sessionCount == 0
            }
        }
    }

    /// The same over FTPS (ftplib neither resumes the control connection's TLS session on data connections nor
    /// sends close_notify before closing an upload's).
    @Test func everyFTPSSessionIsFreedOnceItsConnectionHasGone() async throws {
        try await withTLSServer(policy: .optional, reuse: false, closeNotify: false) { server, _ in
            try await self.run(server, tls: true)
        }
    }
}
