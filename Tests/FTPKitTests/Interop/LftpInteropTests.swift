import Foundation
import Testing
import SeedTestSupport

/// Our server with lftp, a client nobody here wrote.
@Suite(.tags(.interop), .inTestSet(.interop)) struct LftpInteropTests {
    func lftp(_ server: TestFTPServer, _ script: String, in dir: URL) async throws -> ProcessResult {
        let lftp = try requireTool("lftp", package: "lftp")
        let settings = "set ftp:ssl-allow no; set net:max-retries 1; set net:timeout 60; set cmd:fail-exit yes; "
        return try await runProcess(
            lftp, ["-u", "\(TestFTPServer.user),\(TestFTPServer.password)", "-p", String(server.port),
                "-e", settings + script + "; bye", "127.0.0.1"], directory: dir)
    }

    @Test func everyOperation() async throws {
        try await withServer { server in
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            let data = randomData(1_500_000)
            try data.write(to: local.url.appendingPathComponent("a.bin"))
            var r = try await lftp(server, "put a.bin; mkdir sub; put a.bin -o sub/b.bin; mv sub/b.bin sub/c.bin; cls -l sub", in: local.url)
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("c.bin"))
            #expect(server.read("a.bin") == data && server.read("sub/c.bin") == data)

            r = try await lftp(server, "get a.bin -o got.bin; quote SIZE a.bin; quote HASH a.bin; quote MDTM a.bin", in: local.url)
            #expect(r.status == 0, "\(r)")
            #expect(try Data(contentsOf: local.url.appendingPathComponent("got.bin")) == data)

            // reget/reput continue partial transfers with REST and APPE.
            try Data(data.prefix(600_000)).write(to: local.url.appendingPathComponent("part.bin"))
            r = try await lftp(server, "get -c a.bin -o part.bin", in: local.url)
            #expect(r.status == 0, "\(r)")
            #expect(try Data(contentsOf: local.url.appendingPathComponent("part.bin")) == data)
            try server.write("up.bin", Data(data.prefix(400_000)))
            try data.write(to: local.url.appendingPathComponent("up.bin"))
            r = try await lftp(server, "put -c up.bin", in: local.url)
            #expect(r.status == 0, "\(r)")
            #expect(server.read("up.bin") == data)

            r = try await lftp(server, "rm sub/c.bin; rmdir sub; rm a.bin; rm up.bin; cls -a", in: local.url)
            #expect(r.status == 0, "\(r)")
            #expect(server.allFiles().isEmpty, "\(server.allFiles())")
        }
    }

    @Test func mirrorATreeWithOddNames() async throws {
        try await withServer { server in
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            let tree = local.url.appendingPathComponent("tree")
            let names = ["plain.txt", "with space.txt", " leading space", "ünï cødé.md", "deep/er/file.bin"]
            for (i, n) in names.enumerated() {
                let url = tree.appendingPathComponent(n)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try randomData(1000 * (i + 1)).write(to: url)
            }
            // lftp's mirror carries each file's permissions over with SITE CHMOD (a refusal is printed for each).
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tree.path + "/plain.txt")
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tree.path + "/with space.txt")
            var r = try await lftp(server, "mirror -R tree tree", in: local.url)
            #expect(r.status == 0, "\(r)")
            #expect(!r.stdout.contains("chmod") && !r.stderr.contains("chmod"), "\(r)")
            for n in names {
                #expect(server.read("tree/" + n) == (try? Data(contentsOf: tree.appendingPathComponent(n))), "\(n)")
            }
            func mode(_ path: String) -> Int? {
                (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
            }
            #expect(mode(server.root.path + "/tree/plain.txt") == 0o600)
            #expect(mode(server.root.path + "/tree/with space.txt") == 0o755)
            r = try await lftp(server, "mirror tree back", in: local.url)
            #expect(r.status == 0, "\(r)")
            for n in names {
                #expect((try? Data(contentsOf: local.url.appendingPathComponent("back/" + n))) == server.read("tree/" + n), "\(n)")
            }
        }
    }
}
