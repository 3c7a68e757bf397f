import Balancer
import Foundation
import Logging
import SeedTestSupport
import Testing

/// What only a catalog on a PostgreSQL server meets: a wrong password, database or address, TLS that cannot be
/// had, several processes opening one database at once; and a copy between stores that loses nothing.
@Suite(.tags(.interop), .inTestSet(.interop), .enabled(if: PostgresTestServer.isAvailable))
struct PostgresCatalogTests {
    static let logger = CatalogStoreTests.logger

    @Test func connectionProblemsAreClearErrorsWithoutThePassword() async throws {
        try await CatalogFixture.with(.postgres) { fixture in
            let server = try #require(fixture.server)
            func failure(_ url: String, password: String?) async -> ClusterError? {
                await #expect(throws: ClusterError.self) {
                    _ = try await CatalogLocation(parsing: url, password: password).open(logger: Self.logger)
                }
            }
            let wrong = await failure(server.url(), password: "not-the-password")
            #expect(wrong?.code == .catalogUnavailable)
            #expect(wrong?.message.contains("password authentication failed") == true, "\(wrong?.message ?? "")")
            #expect(wrong?.message.contains("not-the-password") == false)

            let missing = await failure(server.url(database: "nowhere"), password: server.password)
            #expect(missing?.message.contains("\"nowhere\" does not exist") == true, "\(missing?.message ?? "")")

            // verify-full against a server without TLS: refused, never a silent plain-text connection.
            let plain = await failure(server.url() + "?sslmode=verify-full", password: server.password)
            #expect(plain?.code == .catalogUnavailable)

            // The socket in the server's directory (trusted locally, no password).
            let socket = try await CatalogLocation(
                parsing: "postgres://seed@/postgres?host=\(server.directory)&port=\(server.port)").open(logger: Self.logger)
            #expect(try await socket.load().isEmpty)
            await socket.close()

            await server.stop()
            let down = await failure(server.url(), password: server.password)
            #expect(down?.code == .catalogUnavailable)
            // What to check, not NIO's "Connection errors: SingleConnectionFailure(…)".
            #expect(down?.message.hasSuffix(
                "the connection was refused: is PostgreSQL running and listening on that address and port?") == true,
                "\(down?.message ?? "")")
            let nowhere = await failure("postgres://seed@nohost.invalid:5432/postgres?sslmode=disable", password: "x")
            #expect(nowhere?.message.hasSuffix(": the host name does not resolve") == true, "\(nowhere?.message ?? "")")
        }
    }

    /// Over TLS with the server verified (`verify-full` against its certificate): the catalog works and its
    /// connections are encrypted; a server whose certificate the given CA did not sign is refused.
    @Test func aCatalogOverVerifiedTLS() async throws {
        let server = try await PostgresTestServer.start(tls: true)
        do {
            let certificate = try #require(server.certificate)
            let secure = try await CatalogLocation(
                parsing: server.url() + "?sslmode=verify-full&sslrootcert=\(certificate)", password: server.password
            ).open(logger: Self.logger)
            try await secure.apply([.save(CatalogStoreTests.file(.default, "over-tls.txt"))])
            #expect(try await secure.load().files.keys.map(\.name) == ["over-tls.txt"])
            // The store's connections (TCP) are encrypted; psql's (the socket) is not.
            let encrypted = try await server.psql(
                "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE ssl AND client_addr IS NOT NULL")
            #expect((Int(encrypted) ?? 0) >= 1, "\(encrypted)")
            let plain = try await server.psql(
                "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE NOT ssl AND client_addr IS NOT NULL")
            #expect(plain == "0")
            await secure.close()

            // A CA that did not sign the server's certificate: refused.
            let other = try await PostgresTestServer.start(tls: true)
            let wrongCA = try #require(other.certificate)
            await #expect(throws: ClusterError.self) {
                _ = try await CatalogLocation(
                    parsing: server.url() + "?sslmode=verify-full&sslrootcert=\(wrongCA)", password: server.password
                ).open(logger: Self.logger)
            }
            await other.stop()
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// Bot processes starting together on a new database migrate it once and all open it.
    @Test func processesOpeningANewDatabaseTogetherMigrateItOnce() async throws {
        try await CatalogFixture.with(.postgres) { fixture in
            let (location, name) = try await fixture.newLocation()
            let stores = try await withThrowingTaskGroup(of: (any CatalogStore).self) { group in
                for _ in 0..<6 { group.addTask { try await location.open(logger: Self.logger) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(stores.count == 6)
            #expect(try await fixture.server!.psql("SELECT count(*), max(version) FROM seed_catalog_schema", database: name) == "1|\(PostgresCatalogStore.schemaVersion)")
            // What one writes, the others read.
            try await stores[0].apply([.save(CatalogStoreTests.file(.default, "shared.txt"))])
            for store in stores { #expect(try await store.load().files.keys.map(\.name) == ["shared.txt"]) }
            for store in stores { await store.close() }
        }
    }

    /// SQLite → PostgreSQL → SQLite: the same counts and checksum at every step; a target that holds anything is
    /// refused.
    @Test func aCatalogCopiedBetweenStoresLosesNothing() async throws {
        try await CatalogFixture.with(.postgres) { fixture in
            let directory = fixture.directory
            let source = try CatalogLocation(parsing: "sqlite:\(directory)/source.sqlite")
            let original = try await source.open(logger: Self.logger)
            var changes: [CatalogChange] = []
            for i in 0..<2500 {
                let space = try #require(Space(i % 3 == 0 ? "default" : "guild-\(i % 7)"))
                var file = CatalogStoreTests.file(space, "file \(i) ünïcode.bin", size: UInt64(i) * 1000, nodes: ["node\(i % 3)", "node\((i + 1) % 3)"])
                if i % 5 == 0 { file.sha256 = nil; file.uploader = nil; file.uploadedAt = nil }
                changes.append(.save(file))
                if i % 11 == 0 { changes.append(.setTombstones(FileKey(space, "gone \(i)"), ["node2"])) }
                if i % 13 == 0 { changes.append(.setMoves(file.key, ["node0"])) }
            }
            try await original.apply(changes)
            let expected = try await original.load()

            let (middle, _) = try await fixture.newLocation()
            let postgres = try await middle.open(logger: Self.logger)
            let first = try await CatalogCopy.run(from: original, to: postgres)
            #expect(first.counts == expected.counts && first.checksum == expected.checksum)
            #expect(first.counts.files == 2500)

            let back = try await CatalogLocation(parsing: "sqlite:\(directory)/back.sqlite").open(logger: Self.logger)
            let second = try await CatalogCopy.run(from: postgres, to: back)
            #expect(second.checksum == expected.checksum)
            #expect(try await back.load() == expected)

            let refused = await #expect(throws: ClusterError.self) { _ = try await CatalogCopy.run(from: original, to: postgres) }
            #expect(refused?.message.contains("not empty") == true)
            for store in [original, postgres, back] { await store.close() }
        }
    }

    /// The cluster on a PostgreSQL catalog: what it knew (files, a deletion still owed to a node that was down)
    /// is known to the next cluster on the same database.
    @Test func aClusterOnPostgresKeepsItsCatalogAcrossARestart() async throws {
        try await CatalogFixture.with(.postgres) { fixture in
            let (location, _) = try await fixture.newLocation()
            try await withNodes(2) { nodes in
                var store = try await location.open(logger: Self.logger)
                var cluster = try await Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalog: store)
                let file = try await cluster.upload("kept.txt", from: Source(count: 5000, delay: nil), uploader: "ana")
                _ = try await cluster.upload("deleted.txt", from: Source(count: 10, delay: nil))
                await nodes[1].kill()
                try await cluster.delete("deleted.txt")
                await cluster.close()
                await store.close()

                store = try await location.open(logger: Self.logger)
                cluster = try await Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalog: store)
                let known = await cluster.knownFiles(in: .default)
                #expect(known.map(\.name) == ["kept.txt"])
                #expect(known.first?.sha256 == file.sha256 && known.first?.version == file.version)
                try await nodes[1].start()
                #expect(try await cluster.list().files.map(\.name) == ["kept.txt"], "the deleted file stays deleted")
                await cluster.refresh()
                #expect(!(await nodes[1].has("deleted.txt")))
                #expect(try await store.load().tombstones.isEmpty, "the owed deletion was carried out and forgotten")
                await cluster.close()
                await store.close()
            }
        }
    }

    /// Two bot processes as the tests see them: two stores on one new catalog database, a cluster on each, over
    /// `count` shared nodes; closed afterwards.
    struct TwoProcesses {
        var fixture: CatalogFixture
        var database: String
        var nodes: [TestNode]
        var storeA: any CatalogStore, storeB: any CatalogStore
        var a: Cluster, b: Cluster
    }

    func withTwoProcesses(nodes count: Int, _ body: (TwoProcesses) async throws -> Void) async throws {
        try await CatalogFixture.with(.postgres) { fixture in
            let (location, database) = try await fixture.newLocation()
            try await withNodes(count) { nodes in
                let storeA = try await location.open(logger: Self.logger), storeB = try await location.open(logger: Self.logger)
                let a = try await Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalog: storeA)
                let b = try await Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalog: storeB)
                do {
                    try await body(TwoProcesses(fixture: fixture, database: database, nodes: nodes, storeA: storeA, storeB: storeB, a: a, b: b))
                } catch {
                    for cluster in [a, b] { await cluster.close() }
                    for store in [storeA, storeB] { await store.close() }
                    throw error
                }
                for cluster in [a, b] { await cluster.close() }
                for store in [storeA, storeB] { await store.close() }
            }
        }
    }

    /// Two bot processes (two clusters, two stores) on one catalog and one set of nodes: what one stores or
    /// deletes the other lists, downloads or hides; a deletion owed to a node that was down is carried out by
    /// whichever process leads, and forgotten by both.
    @Test func clustersSharingACatalogSeeEachOthersChanges() async throws {
        try await self.withTwoProcesses(nodes: 3) { p in
            let (fixture, name, nodes, storeA, storeB, a, b) = (p.fixture, p.database, p.nodes, p.storeA, p.storeB, p.a, p.b)
            let stored = try await a.upload("a.txt", from: Source(count: 70_000, delay: nil), uploader: "ana")
            let listed = try await b.list().files
            #expect(listed.map(\.name) == ["a.txt"])
            #expect(listed.first?.sha256 == stored.sha256 && listed.first?.version == stored.version && listed.first?.uploader == "ana")
            let got = Collected()
            try await b.download("a.txt") { got.append($0) }
            #expect(got.value == Source.bytes(70_000))

            // Deleted through A while a node holding it is down: B hides it at once and never brings it back.
            let doomed = try await a.upload("b.txt", from: Source(count: 10, delay: nil))
            let holder = try #require(nodes.first { $0.name == doomed.nodes.first })
            await holder.kill()
            try await a.delete("b.txt")
            await b.syncCatalog()
            #expect(await b.knownFiles(in: .default).map(\.name) == ["a.txt"])
            try await holder.start()
            #expect(try await b.list().files.map(\.name) == ["a.txt"], "the deleted file stays deleted in the other process")
            #expect(await holder.has("b.txt"), "the node came back with its old copy")
            // B leads (A never claimed): its maintenance removes the copy and clears the pending deletion.
            #expect(await storeB.claimLeadership())
            await b.refresh()
            #expect(!(await holder.has("b.txt")))
            await a.syncCatalog()
            #expect(try await storeA.load().tombstones.isEmpty)

            // A process that has not followed the feed for longer than it is kept reloads everything.
            _ = try await a.upload("c.txt", from: Source(count: 10, delay: nil))
            _ = try await fixture.server!.psql("""
                WITH gone AS (DELETE FROM seed_changes RETURNING seq)
                UPDATE seed_catalog_state SET pruned_through = (SELECT max(seq) FROM gone)
                """, database: name)
            #expect(try await storeB.changes(since: 0) == nil)
            await b.syncCatalog()
            #expect(await b.knownFiles(in: .default).map(\.name) == ["a.txt", "c.txt"])
        }
    }

    /// The database server restarts (an upgrade, a failover) while two processes use it: every connection they had
    /// is cut. Each goes on once it is back — what one stores the other lists, names are held, one process leads —
    /// with nothing lost from before.
    @Test func processesCarryOnAfterTheDatabaseRestarts() async throws {
        try await self.withTwoProcesses(nodes: 2) { p in
            let server = try #require(p.fixture.server)
            _ = try await p.a.upload("before.txt", from: Source(count: 1000, delay: nil))
            #expect(await p.storeA.claimLeadership())
            try await server.restart()

            _ = try await p.a.upload("after.txt", from: Source(count: 2000, delay: nil))
            await p.b.syncCatalog()
            #expect(await p.b.knownFiles(in: .default).map(\.name) == ["after.txt", "before.txt"])
            let got = Collected()
            try await p.b.download("after.txt") { got.append($0) }
            #expect(got.value == Source.bytes(2000))
            try await p.b.delete("before.txt")
            await p.a.syncCatalog()
            #expect(await p.a.knownFiles(in: .default).map(\.name) == ["after.txt"])
            // The leader's lock went with its connection: exactly one process leads again.
            let leaders = [await p.storeA.claimLeadership(), await p.storeB.claimLeadership()]
            #expect(leaders.filter { $0 }.count == 1, "\(leaders)")
            #expect(await p.a.claimEvent("after-restart") != (await p.b.claimEvent("after-restart")))
        }
    }

    /// An event both processes received (a command on a shard both run) is claimed by exactly one of them, also
    /// when they claim it at the same moment; a store for one process claims everything.
    @Test func exactlyOneProcessClaimsEachEvent() async throws {
        try await self.withTwoProcesses(nodes: 1) { p in
            for round in 0..<20 {
                async let first = p.a.claimEvent("discord:\(round)")
                async let second = p.b.claimEvent("discord:\(round)")
                let (a, b) = await (first, second)
                #expect(a != b, "round \(round): \(a) and \(b)")
            }
            #expect(!(await p.a.claimEvent("discord:0")), "claimed once, for good")
            let rows = try await p.fixture.server!.psql("SELECT count(*) FROM seed_claimed_events", database: p.database)
            #expect(rows == "20")
        }
        let catalog = FileManager.default.temporaryDirectory.appendingPathComponent("claims-\(UUID().uuidString).sqlite").path
        defer { for file in [catalog, catalog + ".lock"] { try? FileManager.default.removeItem(atPath: file) } }
        let sqlite = try Cluster(nodes: [], replicas: 1, catalogPath: catalog)
        let once = await sqlite.claimEvent("discord:1"), twice = await sqlite.claimEvent("discord:1")
        #expect(once && twice)
        await sqlite.close()
    }

    /// Exactly one process leads maintenance; when it goes (closed, or its connection killed as a crash would),
    /// the next claim of another process takes over.
    @Test func exactlyOneProcessLeadsAndAnotherTakesOver() async throws {
        try await CatalogFixture.with(.postgres) { fixture in
            let (location, name) = try await fixture.newLocation()
            let first = try await location.open(logger: Self.logger)
            let second = try await location.open(logger: Self.logger)
            let third = try await location.open(logger: Self.logger)
            #expect(await first.claimLeadership())
            #expect(!(await second.claimLeadership()))
            #expect(await first.claimLeadership(), "a leader stays leader")
            await first.close()
            #expect(await second.claimLeadership(), "the next claim after the leader left wins")
            #expect(!(await third.claimLeadership()))

            // The leader's connection dies (its process was killed): the server drops its lock.
            _ = try await fixture.server!.psql(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = '\(name)')",
                database: name)
            #expect(await third.claimLeadership())
            #expect(!(await second.claimLeadership()), "the old leader learns it lost its lock")
            await second.close()
            await third.close()
        }
    }

    /// Uploads of one name in two processes obey the collision policy as uploads in one process do: both kept
    /// under two names, the second refused while the first runs and after it, replacements one after the other.
    @Test func uploadsOfOneNameInTwoProcessesObeyTheCollisionPolicy() async throws {
        try await self.withTwoProcesses(nodes: 2) { p in
            let (name, a, b) = (p.database, p.a, p.b)
            let server = try #require(p.fixture.server)
            func isHeld(_ file: String) async throws -> Bool {
                let lock = UInt64(bitPattern: PostgresCatalogStore.holdKey(FileKey(.default, file)))
                return try await server.psql(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid::bigint = \(lock >> 32) AND objid::bigint = \(lock & 0xFFFF_FFFF)",
                    database: name) != "0"
            }

            // keepBoth: two uploads of one name at once keep both files.
            async let first = a.upload("same.txt", from: Source(count: 640_000, delay: .milliseconds(20)), collision: .keepBoth)
            async let second = b.upload("same.txt", from: Source(count: 640_000, delay: .milliseconds(20)), collision: .keepBoth)
            let names = try await Set([first.name, second.name])
            #expect(names == ["same.txt", "same (2).txt"])
            #expect(Set(try await a.list().files.map(\.name)) == names)
            for file in names {
                let got = Collected()
                try await b.download(file) { got.append($0) }
                #expect(got.value == Source.bytes(640_000), "\(file)")
            }

            // reject: refused while another process uploads the name, and after it stored it.
            let running = Task { try await a.upload("r.txt", from: Source(count: 640_000, delay: .milliseconds(30)), collision: .reject) }
            try await eventually("the first upload to hold r.txt") { try await isHeld("r.txt") }
            let busy = await #expect(throws: ClusterError.self) {
                _ = try await b.upload("r.txt", from: Source(count: 10, delay: nil), collision: .reject)
            }
            #expect(busy?.code == .nameBusy)
            _ = try await running.value
            #expect(!(try await isHeld("r.txt")), "the hold goes with the upload")
            let taken = await #expect(throws: ClusterError.self) {
                _ = try await b.upload("r.txt", from: Source(count: 10, delay: nil), collision: .reject)
            }
            #expect(taken?.code == .nameTaken)

            // replace: replacements from both processes both succeed; one file remains.
            async let one = a.upload("x.txt", from: Source(count: 100_000, delay: .milliseconds(5)), collision: .replace)
            async let two = b.upload("x.txt", from: Source(count: 200_000, delay: .milliseconds(5)), collision: .replace)
            _ = try await (one, two)
            let replaced = try await b.list().files.filter { $0.name.hasPrefix("x") }
            #expect(replaced.map(\.name) == ["x.txt"])
        }
    }

    /// A name is one name in either Unicode form across processes as within one: `café` with a precomposed `é`
    /// (as most systems write it) and with `e` + U+0301 (as macOS does) is one file, so two processes uploading the
    /// two forms at once keep both under two names, and one refuses the other's form while that upload runs.
    @Test func aNameInEitherUnicodeFormIsOneNameAcrossProcesses() async throws {
        try await self.withTwoProcesses(nodes: 2) { p in
            let (a, b) = (p.a, p.b)
            let composed = "caf\u{e9}.txt", decomposed = "cafe\u{301}.txt"
            #expect(PostgresCatalogStore.holdKey(FileKey(.default, composed))
                == PostgresCatalogStore.holdKey(FileKey(.default, decomposed)))

            async let first = a.upload(composed, from: Source(count: 640_000, delay: .milliseconds(20)), collision: .keepBoth)
            async let second = b.upload(decomposed, from: Source(count: 640_000, delay: .milliseconds(20)), collision: .keepBoth)
            let stored = try await [first.name, second.name]
            // Swift compares the names canonically, so two records of the one name would be one element here.
            #expect(Set(stored) == [composed, "caf\u{e9} (2).txt"], "\(stored.map { Array($0.unicodeScalars) })")
            let listed = try await b.list().files.map(\.name)
            #expect(listed.count == 2 && Set(listed) == Set(stored))

            let running = Task {
                try await a.upload("r\u{e9}sum\u{e9}.txt", from: Source(count: 640_000, delay: .milliseconds(30)), collision: .reject)
            }
            let server = try #require(p.fixture.server)
            let lock = UInt64(bitPattern: PostgresCatalogStore.holdKey(FileKey(.default, "r\u{e9}sum\u{e9}.txt")))
            try await eventually("the first upload to hold its name") {
                try await server.psql(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid::bigint = \(lock >> 32) AND objid::bigint = \(lock & 0xFFFF_FFFF)",
                    database: p.database) != "0"
            }
            let busy = await #expect(throws: ClusterError.self) {
                _ = try await b.upload("re\u{301}sume\u{301}.txt", from: Source(count: 10, delay: nil), collision: .reject)
            }
            #expect(busy?.code == .nameBusy)
            _ = try await running.value
        }
    }

    /// A server that stops answering (stalled, or the network to it gone quiet) costs a caller the answer limit, not
    /// its life: every call comes back with `catalogUnavailable` and says why, claims fail open, closing returns;
    /// a write given up on is rolled back, not committed behind the caller's back; and once the server answers
    /// again the same store works, its name holds on a new connection.
    @Test(.timeLimit(.minutes(3))) func aStalledServerIsAnErrorWithinTheAnswerLimit() async throws {
        try await CatalogFixture.with(.postgres) { fixture in
            let server = try #require(fixture.server)
            let (location, name) = try await fixture.newLocation()
            // Created and migrated with the default limit (a busy machine can take seconds over the schema).
            let setup = try await location.open(logger: Self.logger)
            try await setup.apply([.save(CatalogStoreTests.file(.default, "before.bin"))])
            await setup.close()
            // A short limit, so the stalled calls below are quick; what comes before the stall is retried, since
            // on a loaded machine even a working server can be slower than 5 s.
            let limited = try CatalogLocation(
                parsing: server.url(database: name) + "?answer_timeout=5", password: server.password)
            let store = try await eventuallyValue("a store") { try? await limited.open(logger: Self.logger) }
            let closing = try await eventuallyValue("another store") { try? await limited.open(logger: Self.logger) }
            let held = FileKey(.default, "held.bin")
            try await eventually("a name held") { (try? await store.hold(held, exclusive: true)) == true }
            try await eventually("another name held") {
                (try? await closing.hold(FileKey(.default, "other.bin"), exclusive: true)) == true
            }

            let postmaster = try #require(server.serverProcessID)
            Self.signal(SIGSTOP, processAndChildren: postmaster)
            do {
                func unavailable(_ what: String, _ call: () async throws -> Void) async {
                    let error = await #expect(throws: ClusterError.self, "\(what)") { try await call() }
                    #expect(error?.code == .catalogUnavailable, "\(what)")
                    #expect(error?.message.hasSuffix("the server did not answer within 5 s") == true, "\(what): \(error?.message ?? "")")
                }
                await unavailable("load") { _ = try await store.load() }
                await unavailable("apply") { try await store.apply([.save(CatalogStoreTests.file(.default, "stalled.bin"))]) }
                await unavailable("changes") { _ = try await store.changes(since: 0) }
                await unavailable("hold") { _ = try await store.hold(FileKey(.default, "new.bin"), exclusive: true) }
                await unavailable("isClaimed") { _ = try await store.isClaimed("event-1") }
                await unavailable("holdQuota") {
                    _ = try await store.holdQuota(QuotaHoldRequest(
                        space: .default, owner: "ana", quota: UploadQuota(maxBytes: 100, maxFiles: 3), size: 10))
                }
                #expect(await store.claimEvent("event-2", keepUntil: Date().addingTimeInterval(60)), "claims fail open")
                #expect(await !store.claimLeadership())
                await store.release(held, exclusive: true)
                await closing.close()
            }
            Self.signal(SIGCONT, processAndChildren: postmaster)

            try await eventually("the store to work again", timeout: .seconds(60)) {
                (try? await store.load().files[FileKey(.default, "before.bin")]) != nil
            }
            // The holds' connection was dropped when it stopped answering (its hold went with it): a new one holds.
            try await eventually("a name hold on a new connection", timeout: .seconds(60)) {
                (try? await store.hold(held, exclusive: true)) == true
            }
            // What was given up on finishes: the write rolls back.
            try await eventually("the abandoned calls to finish", timeout: .seconds(60)) {
                let busy = try await server.psql(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(name)' AND pid <> pg_backend_pid() AND state NOT IN ('idle')",
                    database: name)
                return busy.trimmingCharacters(in: .whitespacesAndNewlines) == "0"
            }
            #expect(try await store.load().files[FileKey(.default, "stalled.bin")] == nil)
            await store.close()
        }
    }

    /// Sends `signal` to a process and its children (a PostgreSQL server: the postmaster and its backends).
    static func signal(_ signal: Int32, processAndChildren pid: pid_t) {
        kill(pid, signal)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let child = pid_t(entry),
                  let status = procFileText("/proc/\(entry)/status"),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("PPid:") }),
                  pid_t(line.dropFirst(5).trimmingCharacters(in: .whitespaces)) == pid
            else { continue }
            kill(child, signal)
        }
    }

    /// A hold dies with the process (its connection) that took it: a crash never leaves a name held.
    @Test func aCrashedProcessLeavesNoNameHeld() async throws {
        try await CatalogFixture.with(.postgres) { fixture in
            let (location, name) = try await fixture.newLocation()
            let crashed = try await location.open(logger: Self.logger), alive = try await location.open(logger: Self.logger)
            let key = FileKey(.default, "held.bin")
            #expect(try await crashed.hold(key, exclusive: true))
            #expect(!(try await alive.hold(key, exclusive: false)))
            let lock = UInt64(bitPattern: PostgresCatalogStore.holdKey(key))
            _ = try await fixture.server!.psql(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = \(lock >> 32) AND objid::bigint = \(lock & 0xFFFF_FFFF)",
                database: name)
            try await eventually("the hold to go with its connection") { try await alive.hold(key, exclusive: true) }
            await alive.release(key, exclusive: true)
            await crashed.close()
            await alive.close()
        }
    }

    /// A store let go without `close()` (a caller's early return, or a test that failed half-way) closes its own
    /// connections: its name holds and its leadership go with them, and the process goes on (postgres-nio stops a
    /// debug build's process when a connection is freed open).
    @Test func aStoreFreedWithoutClosingLetsItsHoldsGo() async throws {
        try await CatalogFixture.with(.postgres) { fixture in
            let (location, _) = try await fixture.newLocation()
            let alive = try await location.open(logger: Self.logger)
            let key = FileKey(.default, "held.bin")
            var forgotten: PostgresCatalogStore? = try #require(try await location.open(logger: Self.logger) as? PostgresCatalogStore)
            #expect(try await forgotten?.hold(key, exclusive: true) == true)
            #expect(await forgotten?.claimLeadership() == true)
            #expect(!(try await alive.hold(key, exclusive: false)))
            weak let gone = forgotten
            forgotten = nil
            #expect(gone == nil, "nothing else keeps a store")
            try await eventually("the hold to go with the store") { try await alive.hold(key, exclusive: true) }
            try await eventually("the leadership to go with the store") { await alive.claimLeadership() }
            await alive.release(key, exclusive: true)
            await alive.close()
        }
    }

    /// A quota holds across processes: what two stores (two processes) hold in flight for one owner counts
    /// together with the owner's committed files, in one transaction per admission; a crashed process's holds stop
    /// counting; other owners and spaces are apart.
    @Test func quotaHoldsCountAcrossProcessesAndDieWithTheirProcess() async throws {
        try await CatalogFixture.with(.postgres) { fixture in
            let (location, name) = try await fixture.newLocation()
            let a = try await location.open(logger: Self.logger), b = try await location.open(logger: Self.logger)
            let quota = UploadQuota(maxBytes: 100, maxFiles: 3)
            func ask(_ store: any CatalogStore, _ size: UInt64?, owner: String = "ana", space: Space = .default) async throws -> QuotaHold {
                try #require(try await store.holdQuota(QuotaHoldRequest(space: space, owner: owner, quota: quota, size: size)))
            }
            // 30 bytes committed already.
            var committed = CatalogStoreTests.file(.default, "kept.bin")
            committed.size = 30
            committed.uploader = "ana"
            try await a.apply([.save(committed)])

            let sixty = try await ask(a, 60)
            #expect(sixty.maxBytes == 60)
            let over = await #expect(throws: ClusterError.self) { _ = try await ask(b, 20) }
            #expect(over?.code == .quotaExceeded, "30 committed + 60 in flight in the other process + 20 > 100")
            // Unknown size: everything the quota leaves, held at once.
            let rest = try await ask(b, nil)
            #expect(rest.maxBytes == 10)
            let files = await #expect(throws: ClusterError.self) { _ = try await ask(a, 0) }
            #expect(files?.code == .quotaExceeded, "a fourth file")
            // Another owner, another space: their own quotas.
            _ = try await ask(b, 100, owner: "bruno")
            _ = try await ask(b, 70, space: try #require(Space("guild-1")))

            await a.releaseQuota(sixty)
            let again = try await ask(b, 60)

            let full = await #expect(throws: ClusterError.self) { _ = try await ask(a, 70) }
            #expect(full?.code == .quotaExceeded, "30 committed + 10 + 60 held by the other process")
            // The process holding them crashes: the connection holding its liveness lock dies, and its holds stop
            // counting.
            _ = try await fixture.server!.psql("""
                SELECT pg_terminate_backend(l.pid) FROM seed_quota_holds h JOIN pg_locks l ON l.locktype = 'advisory'
                    AND l.granted AND l.objsubid = 1 AND l.classid::bigint = (h.liveness >> 32) & 4294967295
                    AND l.objid::bigint = h.liveness & 4294967295 WHERE h.id = \(again.id)
                """, database: name)
            try await eventually("the crashed process's holds to stop counting") {
                (try? await a.holdQuota(QuotaHoldRequest(space: .default, owner: "ana", quota: quota, size: 70))) != nil
            }
            await b.close()
            await a.close()
        }
    }

    /// Two processes uploading for one owner at once never exceed the owner's quota together.
    @Test func uploadsFromTwoProcessesShareTheOwnersQuota() async throws {
        try await self.withTwoProcesses(nodes: 2) { p in
            let (name, a, b) = (p.database, p.a, p.b)
            let server = try #require(p.fixture.server)
            let quota = UploadQuota(maxBytes: 1_000_000)
            // Each fits alone; both together do not. Slow sources keep both in flight at once.
            let first = Task {
                try await a.upload("one.bin", from: Source(count: 640_000, delay: .milliseconds(30)), size: 640_000,
                                   uploader: "ana", quota: quota)
            }
            try await eventually("the first upload holding its quota in the catalog") {
                try await server.psql("SELECT count(*) FROM seed_quota_holds", database: name) == "1"
            }
            let refused = await #expect(throws: ClusterError.self) {
                _ = try await b.upload("two.bin", from: Source(count: 640_000, delay: nil), size: 640_000, uploader: "ana", quota: quota)
            }
            #expect(refused?.code == .quotaExceeded)
            _ = try await first.value
            // After the first is stored, 360,000 bytes are left, in either process.
            _ = try await b.upload("three.bin", from: Source(count: 360_000, delay: nil), size: 360_000, uploader: "ana", quota: quota)
            let full = await #expect(throws: ClusterError.self) {
                _ = try await a.upload("four.bin", from: Source(count: 1, delay: nil), size: 1, uploader: "ana", quota: quota)
            }
            #expect(full?.code == .quotaExceeded)
        }
    }
}
