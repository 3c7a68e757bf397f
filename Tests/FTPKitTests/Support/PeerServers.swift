import Foundation
import SeedTestSupport
import Testing

/// A third-party FTP server run by the tests on loopback: pyftpdlib (pip) or vsftpd (apt).
final class PeerServer: @unchecked Sendable {
    // @unchecked: `process` and the directory are set once in `start` before the value is shared and only read
    // afterwards; `stop` is called once by the owning test.
    enum Kind: String, CaseIterable, Sendable { case pyftpdlib, vsftpd }

    let kind: Kind
    let port: Int
    let root: URL
    let user: String
    let password: String
    private let process: Process
    private let directory: TemporaryDirectory

    private init(kind: Kind, port: Int, root: URL, user: String, password: String, process: Process, directory: TemporaryDirectory) {
        self.kind = kind
        self.port = port
        self.root = root
        self.user = user
        self.password = password
        self.process = process
        self.directory = directory
    }

    /// `tls`: a certificate and key; the server then requires explicit FTPS on control and data connections
    /// (vsftpd also requires data connections to resume the control connection's TLS session).
    static func start(_ kind: Kind, tls: (cert: String, key: String)? = nil) async throws -> PeerServer {
        switch kind {
        case .pyftpdlib: return try await self.startPyftpdlib(tls: tls)
        case .vsftpd: return try await self.startVsftpd(tls: tls)
        }
    }

    private static func startPyftpdlib(tls: (cert: String, key: String)?) async throws -> PeerServer {
        let python = try requireTool("python3", package: "python3")
        let check = try await runProcess(python, ["-c", "import pyftpdlib"])
        guard check.status == 0 else {
            throw TestEnvironmentError(description: "pyftpdlib is not installed: run scripts/setup (pip install pyftpdlib)")
        }
        let dir = try TemporaryDirectory()
        let root = dir.url.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let out = dir.url.appendingPathComponent("port")
        try Data().write(to: out)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [peersDirectory.appendingPathComponent("pyftpd_server.py").path, root.path, "peer", "peer-pw"]
            + (tls.map { t in
                // pyftpdlib wants the key and certificate in one file.
                let both = dir.url.appendingPathComponent("both.pem").path
                let joined = ((try? String(contentsOfFile: t.key, encoding: .utf8)) ?? "")
                    + ((try? String(contentsOfFile: t.cert, encoding: .utf8)) ?? "")
                try? joined.write(toFile: both, atomically: true, encoding: .utf8)
                return ["tls", both]
            } ?? [])
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = FileHandle.nullDevice
        try p.run()
        do {
            let port = try await eventuallyValue("pyftpdlib's port", timeout: .seconds(30)) {
                (try? String(contentsOf: out, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            return PeerServer(kind: .pyftpdlib, port: port, root: root, user: "peer", password: "peer-pw", process: p, directory: dir)
        } catch {
            p.terminate()
            dir.cleanup()
            throw TestEnvironmentError(description: "pyftpdlib did not start")
        }
    }

    /// vsftpd as documented in shared/notes/peers.md: anonymous with a writable pub/, its own passive range.
    private static func startVsftpd(tls: (cert: String, key: String)?) async throws -> PeerServer {
        let vsftpd = try requireTool("vsftpd", package: "vsftpd")
        let dir = try TemporaryDirectory()
        // The anonymous root must not be writable by ftp; pub/ is.
        let root = dir.url.appendingPathComponent("anon")
        let pub = root.appendingPathComponent("pub")
        try FileManager.default.createDirectory(at: pub, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        _ = try await runProcess("/bin/chown", ["ftp", pub.path])
        try FileManager.default.createDirectory(atPath: "/var/run/vsftpd/empty", withIntermediateDirectories: true)
        let port = try freeTCPPort()
        let passive = 20000 + (port % 20000)
        let conf = """
            listen=YES
            listen_port=\(port)
            listen_address=127.0.0.1
            anonymous_enable=YES
            anon_root=\(root.path)
            write_enable=YES
            anon_upload_enable=YES
            anon_mkdir_write_enable=YES
            anon_other_write_enable=YES
            anon_umask=022
            local_enable=NO
            pasv_min_port=\(passive)
            pasv_max_port=\(passive + 400)
            seccomp_sandbox=NO
            secure_chroot_dir=/var/run/vsftpd/empty
            background=NO
            max_per_ip=0
            max_clients=0
            xferlog_enable=NO
            """ + (tls.map { t in """

                ssl_enable=YES
                allow_anon_ssl=YES
                force_anon_logins_ssl=YES
                force_anon_data_ssl=YES
                require_ssl_reuse=YES
                rsa_cert_file=\(t.cert)
                rsa_private_key_file=\(t.key)
                """ } ?? "")
        let confPath = dir.url.appendingPathComponent("vsftpd.conf")
        try conf.write(to: confPath, atomically: true, encoding: .utf8)
        let p = Process()
        // Under die_with_parent.py, so vsftpd ends with the test process even after a crash (and not before).
        p.executableURL = URL(fileURLWithPath: try requireTool("python3", package: "python3"))
        p.arguments = [peersDirectory.appendingPathComponent("die_with_parent.py").path, vsftpd, confPath.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let server = PeerServer(kind: .vsftpd, port: port, root: pub, user: "anonymous", password: "test@", process: p, directory: dir)
        do {
            try await eventually("vsftpd's greeting", timeout: .seconds(30)) { (try? await FTPClientProbe.greets(port: port)) == true }
            return server
        } catch {
            server.stop()
            throw TestEnvironmentError(description: "vsftpd did not start")
        }
    }

    /// The directory clients should work in (vsftpd's anonymous users may only write below pub/).
    var workDirectory: String { self.kind == .vsftpd ? "/pub" : "/" }

    /// Kills the server without waiting on a cooperative thread (Foundation reaps the child).
    func stop() {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        self.directory.cleanup()
    }
}

enum FTPClientProbe {
    static func greets(port: Int) async throws -> Bool {
        let python = try requireTool("python3", package: "python3")
        let r = try await runProcess(python, ["-c", "import socket; s=socket.create_connection(('127.0.0.1', \(port)), timeout=2); print(s.recv(3).decode())"], timeout: .seconds(5))
        return r.stdout.hasPrefix("220")
    }
}
