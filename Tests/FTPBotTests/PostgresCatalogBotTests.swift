import Balancer
import FileBot
import Foundation
import SeedTestSupport
import Testing

/// `ftpbot` with its catalog on a real PostgreSQL server (Debian's, started by the test): files outlive the
/// process, `--check-config` reaches the server, and `ftpbot catalog migrate` moves an SQLite catalog over.
@Suite(.tags(.interop), .inTestSet(.interop), .enabled(if: PostgresTestServer.isAvailable))
struct PostgresCatalogBotTests {
    let console = ConsoleModeTests()

    func withServer(_ body: (PostgresTestServer, URL) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pgbot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let server = try await PostgresTestServer.start()
        do {
            try await body(server, dir)
        } catch {
            await server.stop()
            try? FileManager.default.removeItem(at: dir)
            throw error
        }
        await server.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    @Test func theBotKeepsItsFilesInPostgresAcrossRestarts() async throws {
        try await withServer { server, dir in
            try await server.createDatabase("bot")
            try Data("quarterly numbers".utf8).write(to: dir.appendingPathComponent("report.pdf"))
            let settings = ["--catalog", server.url(database: "bot")]
            let environment = ["PGPASSWORD": server.password]
            let (status, out, err) = try await self.console.run("!upload report.pdf\n", in: dir, environment: environment, arguments: settings)
            #expect(status == 0, "\(err)")
            #expect(out.contains("Uploaded report.pdf"), "\(out)")
            #expect(try await server.psql("SELECT space || '/' || name || ' ' || size FROM seed_files", database: "bot") == "console/report.pdf 17")

            let (again, listed, err2) = try await self.console.run("!list\n", in: dir, environment: environment, arguments: settings)
            #expect(again == 0, "\(err2)")
            #expect(listed.contains("report.pdf"), "\(listed)")
            #expect(!err2.contains(server.password), "the password never appears in the output")
        }
    }

    /// The catalog's and the nodes' password files can be pipes (a process substitution, a secrets agent): each is
    /// read once, when the configuration is read. Before, a node's password file read as "permission denied", and the
    /// catalog's was read twice (checked, then connected), so the second read found nothing.
    @Test func passwordFilesCanBePipes() async throws {
        try await withServer { server, dir in
            try await server.createDatabase("piped")
            let node = TestNode(name: "node0", root: dir.path + "/node0")
            try await node.start()
            do {
                let config: [String: Any] = [
                    "nodes": [["name": node.name, "host": "127.0.0.1", "port": node.port, "user": "bot", "passwordFile": "node.pw"]],
                    "replicas": 1,
                    "catalog": ["url": server.url(database: "piped"), "passwordFile": "catalog.pw"],
                    "http": ["enabled": false],
                ]
                try JSONSerialization.data(withJSONObject: config).write(to: dir.appendingPathComponent("ftpbot.json"))
                try Data("piped notes".utf8).write(to: dir.appendingPathComponent("notes.txt"))
                for (script, arguments) in [("", ["--check-config"]), ("!upload notes.txt\n!list\n", [])] {
                    let pipes = [
                        try PipedSecret(path: dir.path + "/catalog.pw", text: server.password + "\n"),
                        try PipedSecret(path: dir.path + "/node.pw", text: "node-secret\n"),
                    ]
                    let result = try await self.console.run(script, in: dir, arguments: ["--config", "ftpbot.json"] + arguments)
                    for pipe in pipes { pipe.stop() }
                    let (status, out, err) = result
                    #expect(status == 0, "\(arguments): \(err)")
                    if arguments.isEmpty {
                        #expect(out.contains("Uploaded notes.txt") && out.contains("replicas 1/1"), "\(out)")
                    }
                }
                #expect(node.contents("notes.txt", in: "console") == Data("piped notes".utf8))
                #expect(try await server.psql("SELECT count(*) FROM seed_files", database: "piped") == "1")
            } catch {
                await node.kill()
                throw error
            }
            await node.kill()
        }
    }

    /// Consoles in two directories (two processes, each with its own data directory) configured with the same
    /// external FTP nodes and one PostgreSQL catalog share one cluster: what one stores the other lists, downloads
    /// and deletes, including while both run at once.
    @Test func consolesOnExternalNodesShareOnePostgresCatalog() async throws {
        try await withServer { server, dir in
            try await server.createDatabase("shared")
            let nodes = (0..<2).map { TestNode(name: "node\($0)", root: dir.path + "/node\($0)") }
            for node in nodes { try await node.start() }
            do {
                try await self.shareOneCluster(nodes: nodes, server: server, dir: dir)
            } catch {
                for node in nodes { await node.kill() }
                throw error
            }
            for node in nodes { await node.kill() }
        }
    }

    private func shareOneCluster(nodes: [TestNode], server: PostgresTestServer, dir: URL) async throws {
        let config: [String: Any] = [
            "nodes": nodes.map { ["name": $0.name, "host": "127.0.0.1", "port": $0.port, "user": "bot", "password": "node-secret"] },
            "replicas": 2,
            "catalog": ["url": server.url(database: "shared"), "passwordEnv": "CATALOG_PASSWORD"],
            "http": ["enabled": false],
        ]
        let configPath = dir.appendingPathComponent("ftpbot.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configPath)
        let (one, two) = (dir.appendingPathComponent("one"), dir.appendingPathComponent("two"))
        for (place, text) in [(one, "from one"), (two, "from two")] {
            try FileManager.default.createDirectory(at: place, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: place.appendingPathComponent("notes.txt"))
        }
        let settings = ["--config", configPath.path]
        let environment = ["CATALOG_PASSWORD": server.password]

        // Both at once, under different names.
        async let first = self.console.run("!upload notes.txt a.txt\n", in: one, environment: environment, arguments: settings)
        async let second = self.console.run("!upload notes.txt b.txt\n", in: two, environment: environment, arguments: settings)
        let (a, b) = try await (first, second)
        #expect(a.0 == 0 && a.1.contains("Uploaded a.txt"), "\(a)")
        #expect(b.0 == 0 && b.1.contains("Uploaded b.txt"), "\(b)")
        #expect(nodes.allSatisfy { $0.contents("a.txt", in: "console") == Data("from one".utf8) })

        // The other console lists, downloads and deletes what the first stored.
        let (status, out, err) = try await self.console.run(
            "!list\n!download a.txt fetched.txt\n!delete a.txt\n", in: two, environment: environment, arguments: settings)
        #expect(status == 0, "\(err)")
        #expect(out.contains("a.txt") && out.contains("b.txt") && out.contains("replicas 2/2"), "\(out)")
        #expect(try Data(contentsOf: two.appendingPathComponent("fetched.txt")) == Data("from one".utf8))
        #expect(out.contains("Deleted a.txt."), "\(out)")
        let (_, listed, _) = try await self.console.run("!list\n", in: one, environment: environment, arguments: settings)
        #expect(listed.contains("b.txt") && !listed.contains("a.txt"), "\(listed)")
        #expect(nodes.allSatisfy { $0.contents("a.txt", in: "console") == nil })
        #expect(try await server.psql("SELECT count(*) FROM seed_files", database: "shared") == "1")
    }

    /// Two bot processes serving the same links (one key, one PostgreSQL catalog, the same nodes): an upload link
    /// is used once across both, not once per process, and is busy in the other while one is uploading on it. A
    /// failed upload does not use it up. (Before, the used and busy marks lived in each process only.)
    @Test func anUploadLinkWorksOnceAcrossProcesses() async throws {
        try await withServer { server, dir in
            try await server.createDatabase("links")
            let nodes = (0..<2).map { TestNode(name: "node\($0)", root: dir.path + "/node\($0)") }
            for node in nodes { try await node.start() }
            let location = try CatalogLocation(parsing: server.url(database: "links"), password: server.password)
            let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
            var stores: [any CatalogStore] = []
            var clusters: [Cluster] = []
            var links: [ShareLinks] = []
            for _ in 0..<2 {
                let store = try await location.open(logger: FileBotHarness.quietLogger)
                let cluster = try await Cluster(
                    nodes: nodes.map { NodeConfiguration(name: $0.name, host: "127.0.0.1", port: $0.port, user: "bot", password: "node-secret") },
                    replicas: 2, catalog: store, logger: FileBotHarness.quietLogger)
                stores.append(store)
                clusters.append(cluster)
                links.append(ShareLinks(bot: FileBot(cluster: cluster, logger: FileBotHarness.quietLogger), key: key,
                                        settings: LinkSettings(publicURL: "http://files.example")))
            }
            let (a, b) = (links[0], links[1])
            let ana = Caller(id: "501", displayName: "ana", space: Space.guild("2000")!)
            func token(_ link: SharedLink) -> Substring { link.url.split(separator: "/").last! }

            let once = token(await a.uploadLink(for: ana))
            let started = try #require(await a.beginUpload(once), "the link starts an upload")
            #expect(await b.beginUpload(once) == nil, "busy in the other process while A uploads on it")
            await a.endUpload(started.claims, stored: true)
            #expect(await b.beginUpload(once) == nil, "used up in A, so refused in B")
            #expect(await b.uploadClaims(once) == nil, "B does not even show its page")
            #expect(await a.beginUpload(once) == nil)

            let retried = token(await a.uploadLink(for: ana))
            let failed = try #require(await a.beginUpload(retried))
            await a.endUpload(failed.claims, stored: false)
            let second = try #require(await b.beginUpload(retried), "a failed upload leaves the link usable, anywhere")
            await b.endUpload(second.claims, stored: true)
            #expect(await a.beginUpload(retried) == nil)

            for cluster in clusters { await cluster.close() }
            for store in stores { await store.close() }
            for node in nodes { await node.kill() }
        }
    }

    @Test func checkConfigReachesTheCatalog() async throws {
        try await withServer { server, dir in
            try await server.createDatabase("bot")
            let check = ["--check-config", "--catalog", server.url(database: "bot")]
            let (bad, _, badErr) = try await self.console.run("", in: dir, environment: ["PGPASSWORD": "wrong-secret"], arguments: check)
            #expect(bad == 1)
            #expect(badErr.contains("password authentication failed"), "\(badErr)")
            #expect(!badErr.contains("wrong-secret"))
            let (good, out, goodErr) = try await self.console.run("", in: dir, environment: ["PGPASSWORD": server.password], arguments: check)
            #expect(good == 0, "\(goodErr)")
            #expect(out.contains("catalog postgres://seed@127.0.0.1:\(server.port)/bot (0 files)"), "\(out)")
            let (malformed, _, why) = try await self.console.run("", in: dir, arguments: ["--check-config", "--catalog", "mysql://x@y/z"])
            #expect(malformed == 1)
            #expect(why.contains("'mysql' is not a catalog kind"), "\(why)")
            let (badShards, _, shardsWhy) = try await self.console.run("", in: dir, arguments: ["--check-config", "--shards", "4/4"])
            #expect(badShards == 1)
            #expect(shardsWhy.contains("shards: shard ids go from 0 to 3"), "\(shardsWhy)")
        }
    }

    @Test func anSQLiteCatalogMigratesToPostgres() async throws {
        try await withServer { server, dir in
            try await server.createDatabase("moved")
            for name in ["a.txt", "b.txt"] { try Data(name.utf8).write(to: dir.appendingPathComponent(name)) }
            let (status, out, err) = try await self.console.run("!upload a.txt\n!upload b.txt\n!delete a.txt\n", in: dir)
            #expect(status == 0, "\(err)")
            #expect(out.contains("Deleted a.txt"), "\(out)")

            let migrate = ["catalog", "migrate", "--from", "sqlite:\(dir.path)/data/catalog.sqlite", "--to", server.url(database: "moved")]
            let (copied, report, copyErr) = try await self.console.run("", in: dir, environment: ["PGPASSWORD": server.password], arguments: migrate)
            #expect(copied == 0, "\(copyErr)")
            #expect(report.contains("Copied 1 files"), "\(report)")
            #expect(report.contains("verified"), "\(report)")

            let settings = ["--catalog", server.url(database: "moved")]
            let (_, listed, _) = try await self.console.run("!list\n", in: dir, environment: ["PGPASSWORD": server.password], arguments: settings)
            #expect(listed.contains("b.txt") && !listed.contains("a.txt"), "\(listed)")

            let (again, _, refused) = try await self.console.run("", in: dir, environment: ["PGPASSWORD": server.password], arguments: migrate)
            #expect(again == 1)
            #expect(refused.contains("not empty"), "\(refused)")

            // A mistyped source is not copied as an empty catalog (opening an SQLite file creates it), and a
            // catalog is not copied onto itself.
            let typo = ["catalog", "migrate", "--from", "sqlite:\(dir.path)/data/catalgo.sqlite", "--to", server.url(database: "postgres")]
            let (mistyped, _, typoErr) = try await self.console.run("", in: dir, environment: ["PGPASSWORD": server.password], arguments: typo)
            #expect(mistyped == 1 && typoErr.contains("the source catalog \(dir.path)/data/catalgo.sqlite does not exist"), "\(typoErr)")
            #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/data/catalgo.sqlite"))
            let same = ["catalog", "migrate", "--from", "sqlite:\(dir.path)/data/catalog.sqlite", "--to", "sqlite:\(dir.path)/data/catalog.sqlite"]
            let (itself, _, sameErr) = try await self.console.run("", in: dir, arguments: same)
            #expect(itself == 1 && sameErr.contains("--from and --to name the same catalog"), "\(sameErr)")
        }
    }
}
