import Foundation
import NIOCore
import NIOPosix
import Synchronization
import SeedTestSupport
import Testing

@testable import FTPKit

/// Both storage backends must behave the same: this runs the contract against each.
@Suite(.tags(.unit), .inTestSet(.unit)) struct StorageContractTests {
    static func backends() throws -> [(String, any FTPStorage, TemporaryDirectory?)] {
        let dir = try TemporaryDirectory()
        return [("memory", MemoryStorage(), nil), ("local", try LocalFileStorage(root: dir.path), dir)]
    }

    func store(_ s: any FTPStorage, _ path: String, _ text: String, mode: FTPWriteMode = .replace) async throws {
        let h = try await s.openForWriting(FTPPath(path), mode: mode)
        try await h.write(ByteBuffer(string: text))
        try await h.commit()
    }

    func load(_ s: any FTPStorage, _ path: String, offset: UInt64 = 0) async throws -> String {
        let h = try await s.openForReading(FTPPath(path), offset: offset)
        var out = ""
        while let chunk = try await h.read(maxLength: 3, allocator: .init()) { out += String(buffer: chunk) }
        await h.close()
        return out
    }

    func code(_ body: () async throws -> Void) async -> FTPStorageError.Code? {
        do { try await body(); return nil } catch let e as FTPStorageError { return e.code } catch { return .io }
    }

    /// A session whose client vanished cancels its transfer task, and the upload is aborted from that cancelled
    /// task: the temporary file must still go (and an aborted append must still be cut back). Found by fuzzing
    /// ftpd: NIO's thread pool skips work submitted from a cancelled task, and `.seed-upload-*` files stayed.
    @Test func abortsFromACancelledTaskStillCleanUp() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let storage = try LocalFileStorage(root: dir.path)
        try await store(storage, "/kept.txt", "original")
        let task = Task {
            let replacing = try await storage.openForWriting(FTPPath("/kept.txt"), mode: .replace)
            try await replacing.write(ByteBuffer(string: "half an upload"))
            let appending = try await storage.openForWriting(FTPPath("/kept.txt"), mode: .append)
            try await appending.write(ByteBuffer(string: " and more"))
            withUnsafeCurrentTask { $0?.cancel() }
            #expect(Task.isCancelled)
            await replacing.abort()
            await appending.abort()
        }
        try await task.value
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(names == ["kept.txt"], "\(names)")
        #expect(try await load(storage, "/kept.txt") == "original")
    }

    @Test func contract() async throws {
        for (name, s, dir) in try Self.backends() {
            defer { dir?.cleanup() }
            try await store(s, "/a.txt", "hello")
            #expect(try await load(s, "/a.txt") == "hello", "\(name)")
            #expect(try await load(s, "/a.txt", offset: 2) == "llo", "\(name)")
            #expect(await code { _ = try await s.openForReading(FTPPath("/a.txt"), offset: 99) } == .invalidOffset, "\(name)")

            // Nothing is visible before commit; abort keeps the old content.
            let h = try await s.openForWriting(FTPPath("/a.txt"), mode: .replace)
            try await h.write(ByteBuffer(string: "NEW CONTENT"))
            #expect(try await load(s, "/a.txt") == "hello", "\(name): visible before commit")
            await h.abort()
            #expect(try await load(s, "/a.txt") == "hello", "\(name): abort changed the file")

            let appending = try await s.openForWriting(FTPPath("/a.txt"), mode: .append)
            try await appending.write(ByteBuffer(string: " world"))
            await appending.abort()
            #expect(try await load(s, "/a.txt") == "hello", "\(name): aborted append")

            try await store(s, "/a.txt", " world", mode: .append)
            #expect(try await load(s, "/a.txt") == "hello world", "\(name)")
            try await store(s, "/a.txt", "W", mode: .replaceFrom(offset: 6))
            #expect(try await load(s, "/a.txt") == "hello W", "\(name)")
            try await store(s, "/a.txt", "!", mode: .replaceFrom(offset: 7))
            #expect(try await load(s, "/a.txt") == "hello W!", "\(name)")
            #expect(await code { try await store(s, "/a.txt", "x", mode: .replaceFrom(offset: 100)) } == .invalidOffset)

            try await s.makeDirectory(FTPPath("/d"))
            #expect(await code { try await s.makeDirectory(FTPPath("/d")) } == .alreadyExists, "\(name)")
            #expect(await code { try await s.makeDirectory(FTPPath("/missing/d")) } == .notFound, "\(name)")
            try await store(s, "/d/b.txt", "b")
            #expect(try await s.list(directory: FTPPath("/d")).map(\.name) == ["b.txt"], "\(name)")
            #expect(await code { try await s.removeDirectory(FTPPath("/d")) } == .directoryNotEmpty, "\(name)")
            #expect(await code { try await s.remove(FTPPath("/d")) } == .isADirectory, "\(name)")
            try await s.rename(FTPPath("/d/b.txt"), to: FTPPath("/c.txt"))
            try await s.removeDirectory(FTPPath("/d"))
            #expect(try await s.list(directory: .root).map(\.name) == ["a.txt", "c.txt"], "\(name)")
            #expect(try await s.info(at: FTPPath("/c.txt")).size == 1, "\(name)")
            #expect(await code { _ = try await s.info(at: FTPPath("/nope")) } == .notFound, "\(name)")
            #expect(await code { _ = try await s.openForReading(FTPPath("/"), offset: 0) } == .isADirectory, "\(name)")

            let when = Date(timeIntervalSince1970: 1_600_000_000)
            try await s.setModificationTime(FTPPath("/c.txt"), to: when)
            #expect(try await s.info(at: FTPPath("/c.txt")).modified == when, "\(name)")
            // SITE CHMOD: permission bits of a file and of a directory; never the root's; nothing beyond 0o777.
            try await s.setPermissions(FTPPath("/c.txt"), to: 0o600)
            #expect(try await s.info(at: FTPPath("/c.txt")).mode & 0o777 == 0o600, "\(name)")
            try await s.makeDirectory(FTPPath("/m"))
            try await s.setPermissions(FTPPath("/m"), to: 0o700)
            #expect(try await s.info(at: FTPPath("/m")).mode & 0o777 == 0o700, "\(name)")
            try await s.removeDirectory(FTPPath("/m"))
            #expect(await code { try await s.setPermissions(.root, to: 0o000) } == .permissionDenied, "\(name)")
            #expect(await code { try await s.setPermissions(FTPPath("/c.txt"), to: 0o4755) } == .invalidName, "\(name)")
            #expect(await code { try await s.setPermissions(FTPPath("/nope"), to: 0o644) } == .notFound, "\(name)")
            #expect(try await s.info(at: FTPPath("/c.txt")).mode & 0o7777 == 0o600, "\(name)")
            try await s.remove(FTPPath("/c.txt"))
            #expect(await code { try await s.remove(FTPPath("/c.txt")) } == .notFound, "\(name)")
        }
    }

    /// A file system names files by bytes: `é` precomposed and `e` with a combining accent are two names, in
    /// memory as on disk (the memory backend took them for one, as Swift's `==` on text does).
    @Test func namesAreTheirBytesOnEveryBackend() async throws {
        let precomposed = "/caf\u{e9}", decomposed = "/cafe\u{301}"
        for (name, s, dir) in try Self.backends() {
            defer { dir?.cleanup() }
            try await store(s, precomposed, "one")
            #expect(await code { _ = try await s.info(at: FTPPath(decomposed)) } == .notFound, "\(name)")
            try await store(s, decomposed, "two")
            #expect(try await load(s, precomposed) == "one", "\(name)")
            #expect(try await load(s, decomposed) == "two", "\(name)")
            #expect(try await s.list(directory: .root).count == 2, "\(name)")
            try await s.remove(FTPPath(decomposed))
            #expect(try await load(s, precomposed) == "one", "\(name)")
        }
        #expect(FTPPath(precomposed) != FTPPath(decomposed) && !FTPPath(precomposed).contains(FTPPath(decomposed + "/x")))
        #expect(Set([FTPPath(precomposed), FTPPath(decomposed), FTPPath(precomposed)]).count == 2)
        #expect(FTPPath("/a/b") == FTPPath(components: ["a", "b"]) && FTPPath("/a").contains(FTPPath("/a/b")))
    }

    @Test func localStorageRefusesSymlinksOutOfTheRoot() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let root = dir.url.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try "secret".write(to: dir.url.appendingPathComponent("secret"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root.path + "/out", withDestinationPath: dir.path)
        try FileManager.default.createSymbolicLink(atPath: root.path + "/s", withDestinationPath: dir.path + "/secret")
        let s = try LocalFileStorage(root: root.path)
        #expect(await code { _ = try await s.openForReading(FTPPath("/s"), offset: 0) } == .outsideRoot)
        #expect(await code { _ = try await s.openForReading(FTPPath("/out/secret"), offset: 0) } == .outsideRoot)
        #expect(await code { _ = try await s.list(directory: FTPPath("/out")) } == .outsideRoot)
        #expect(await code { _ = try await s.openForWriting(FTPPath("/out/new"), mode: .replace) } == .outsideRoot)
        #expect(await code { try await s.makeDirectory(FTPPath("/out/x")) } == .outsideRoot)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/new"))
        // SITE CHMOD never changes what a link leads to outside the root; a link inside it leads to its target.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dir.path + "/secret")
        #expect(await code { try await s.setPermissions(FTPPath("/s"), to: 0o777) } == .outsideRoot)
        #expect(await code { try await s.setPermissions(FTPPath("/out/secret"), to: 0o777) } == .outsideRoot)
        #expect(await code { try await s.setPermissions(FTPPath("/out"), to: 0o777) } == .outsideRoot)
        let outside = try FileManager.default.attributesOfItem(atPath: dir.path + "/secret")[.posixPermissions] as? Int
        #expect(outside == 0o644)
        // The listing shows the escaping links as bare links, never their targets' content.
        let kinds = try await s.list(directory: .root).map(\.kind)
        #expect(kinds == [.symbolicLink, .symbolicLink])
        // Temporary upload files never show up.
        let h = try await s.openForWriting(FTPPath("/pending"), mode: .replace)
        #expect(try await s.list(directory: .root).count == 2)
        await h.abort()
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() == ["out", "s"])
    }

    /// A link inside the root whose target hides a slash behind a combining mark (`out/\u{301}new`, where `out` is a
    /// link to a directory outside) is split at every slash: before, the walk split link targets at `Character`s,
    /// kept `out/\u{301}new` as one component and handed it to `openat`, which followed `out` out of the root, so
    /// a STOR through the link created a file outside it and a RETR read one there. Both resolvers walk link targets.
    @Test(arguments: [true, false])
    func linkTargetsAreSplitAtEverySlash(useOpenat2: Bool) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let root = dir.url.appendingPathComponent("root")
        let outside = dir.url.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside.appendingPathComponent("\u{301}x"), withIntermediateDirectories: true)
        try "secret".write(to: outside.appendingPathComponent("\u{301}x/secret"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root.path + "/out", withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: root.path + "/write", withDestinationPath: "out/\u{301}new")
        try FileManager.default.createSymbolicLink(atPath: root.path + "/read", withDestinationPath: "out/\u{301}x/secret")
        let s = try LocalFileStorage(root: root.path, useOpenat2: useOpenat2)
        #expect(await code {
            let h = try await s.openForWriting(FTPPath("/write"), mode: .replace)
            try await h.write(ByteBuffer(string: "planted"))
            try await h.commit()
        } == .outsideRoot)
        #expect(!FileManager.default.fileExists(atPath: outside.path + "/\u{301}new"))
        #expect(await code { _ = try await s.openForReading(FTPPath("/read"), offset: 0) } == .outsideRoot)
        #expect(await code { _ = try await s.info(at: FTPPath("/read")) } == .outsideRoot)
    }

    /// Entries that are not files (a FIFO, a Unix socket) are refused at once for every way of opening them, and
    /// refusing one never holds a file thread: this storage has one thread, and a plain `open(2)` of a FIFO with
    /// nobody on its other end would hold it for good, so the upload after it would never run (the time limit
    /// ends the test instead of a hang). An append into the FIFO while a reader holds it open would succeed with a
    /// plain `open(2)` too, and is refused as well.
    @Test(.timeLimit(.minutes(1))) func entriesThatAreNotFilesAreRefusedWithoutWaiting() async throws {
        let dir = try TemporaryDirectory()
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let s = try LocalFileStorage(root: dir.path, threadPool: pool)
        let fifo = dir.url.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let socketPath = dir.url.appendingPathComponent("socket").path
        #expect(Self.makeSocketFile(at: socketPath))
        for name in ["/pipe", "/socket"] {
            #expect(await code { _ = try await s.openForReading(FTPPath(name), offset: 0) } == .notAFile, "\(name)")
            for mode in [FTPWriteMode.append, .replace, .replaceFrom(offset: 0)] {
                #expect(await code { _ = try await s.openForWriting(FTPPath(name), mode: mode) } == .notAFile, "\(name) \(mode)")
            }
        }
        // With a reader on the FIFO, a write-only open would not even block: it is refused all the same.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        #expect(await code { _ = try await s.openForWriting(FTPPath("/pipe"), mode: .append) } == .notAFile)
        close(reader)
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
        try await store(s, "/after.txt", "served")
        #expect(try await load(s, "/after.txt") == "served")
        try await pool.shutdownGracefully()
        dir.cleanup()
    }

    /// Leaves a Unix socket's entry at `path` (bound, then closed: the entry stays).
    static func makeSocketFile(at path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0
    }

    /// Names of the storage's own in-flight uploads cannot be written by anyone: also not with a combining mark on
    /// the prefix's last dash, which a `Character` comparison took for another name while the listing (which reads
    /// bytes) hid the file.
    @Test func theTemporaryPrefixIsReservedOnItsBytes() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let s = try LocalFileStorage(root: dir.path)
        for name in [".seed-upload-x", ".seed-upload-\u{301}x", ".seed-upload-append-\u{301}"] {
            #expect(await code { _ = try await s.openForWriting(FTPPath("/" + name), mode: .replace) } == .invalidName, "\(name)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    /// A path a library caller builds from components (not parsed from a command) holds the same jail: `..`, `.`,
    /// empty pieces and components with a `/` inside are normalized as a parsed path's are, so no `FTPPath` names
    /// anything above its root (before, `FTPPath(components: ["sub", "../../secret"])` reached the file beside the
    /// root through `openat` on the last name).
    @Test func pathsBuiltFromComponentsStayBeneathTheRoot() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let root = dir.url.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try "secret".write(to: dir.url.appendingPathComponent("secret"), atomically: true, encoding: .utf8)
        let s = try LocalFileStorage(root: root.path)
        let crafted = [
            FTPPath(components: ["sub", "../../secret"]), FTPPath(components: ["..", "secret"]),
            FTPPath(components: ["sub", "..", "..", "secret"]), FTPPath.root.appending("../secret"),
            FTPPath(components: ["sub"]).appending("../../secret"), FTPPath(components: ["", ".", "/..//secret"]),
        ]
        for path in crafted {
            #expect(path == FTPPath("/secret") || path == FTPPath("/sub/secret"), "\(path.components)")
            #expect(await code { _ = try await s.openForReading(path, offset: 0) } == .notFound, "\(path.components)")
            #expect(await code { try await s.remove(path) } == .notFound, "\(path.components)")
        }
        #expect(FileManager.default.fileExists(atPath: dir.path + "/secret"))
        // Plain names stay as they are, whatever they hold besides a slash.
        #expect(FTPPath(components: ["a b", "..\\x", "%2e%2e", "...", ".x"]).components == ["a b", "..\\x", "%2e%2e", "...", ".x"])
        #expect(FTPPath.root.appending("..").isRoot && FTPPath.root.appending(".").isRoot)
    }

    /// A listing reads the names once and each batch's details only when asked: a big directory's entries are
    /// never all in memory, an entry removed meanwhile is left out, and the directory's descriptor goes with it.
    @Test func aBigDirectoryIsListedInBatches() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let big = dir.url.appendingPathComponent("big")
        try FileManager.default.createDirectory(at: big, withIntermediateDirectories: true)
        let names = (0..<2_500).map { "n\(($0 * 7_919) % 2_500)" }
        for name in names { _ = FileManager.default.createFile(atPath: big.path + "/" + name, contents: Data(name.utf8)) }
        try FileManager.default.createSymbolicLink(atPath: big.path + "/zlink", withDestinationPath: "n7")
        let storage = try LocalFileStorage(root: dir.path)
        let pending = try await storage.openForWriting(FTPPath("/big/n1"), mode: .replace)
        defer { Task { await pending.abort() } }
        func descriptorsOfBig() -> Int {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == big.path }.count
        }
        let held = descriptorsOfBig()  // the pending upload's, of its directory

        let all = try await storage.list(directory: FTPPath("/big"))
        #expect(all.map(\.name) == (names + ["zlink"]).sorted())
        #expect(all.last?.kind == .file && all.last?.size == 2, "a link inside the root shows what it points to")
        var sizes: [Int] = []
        var listed: [FTPFileInfo] = []
        do {
            let listing = try await storage.listing(directory: FTPPath("/big"))
            #expect(descriptorsOfBig() == held + 1)
            for try await batch in listing {
                if sizes.isEmpty {
                    // Removed after the names were read: left out, not an error.
                    try FileManager.default.removeItem(atPath: big.path + "/n999")
                }
                sizes.append(batch.count)
                listed += batch
            }
        }
        #expect(sizes.count == 3 && sizes.allSatisfy { $0 <= 1_024 }, "\(sizes)")
        #expect(listed.map(\.name) == all.map(\.name).filter { $0 != "n999" })
        #expect(listed.map(\.size) == all.filter { $0.name != "n999" }.map(\.size))
        #expect(descriptorsOfBig() == held, "the listing's directory descriptor stayed open")
        #expect(await code { _ = try await storage.listing(directory: FTPPath("/big/n1")) } == .notADirectory)
        #expect(await code { _ = try await storage.listing(directory: FTPPath("/missing")) } == .notFound)
    }

    @Test func memoryStorageCapacity() async throws {
        let s = MemoryStorage(capacity: 10)
        try await store(s, "/a", "12345")
        #expect(try await s.availableSpace(at: .root) == 5)
        #expect(await code { try await store(s, "/b", "123456") } == .insufficientSpace)
    }
}

@Suite(.tags(.unit), .inTestSet(.unit)) struct AuthenticationTests {
    @Test func passwordHashing() throws {
        let h = try PasswordHasher.hash("pw", iterations: 1000)
        #expect(h.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(PasswordHasher.verify("pw", against: h))
        #expect(!PasswordHasher.verify("pW", against: h))
        #expect(!PasswordHasher.verify("pw", against: "pbkdf2-sha256$1000$bad"))
        #expect(!PasswordHasher.verify("pw", against: ""))
        #expect(try PasswordHasher.hash("pw", iterations: 1000) != h)  // salted
        #expect(throws: FTPConfigurationError.self) { try PasswordHasher.hash("pw", iterations: 10) }
    }

    @Test func usersFileRoundTripAndAuthenticator() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.path + "/users.json"
        var file = UsersFile()
        try file.setUser("bob", password: "pw", root: "/bob", permissions: ["read"], iterations: 1000)
        try file.write(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains("\"pw\""))  // never stored in clear
        let auth = try UsersFileAuthenticator(path: path)
        let user = await auth.authenticate(user: "bob", password: "pw", client: "127.0.0.1")
        #expect(user == FTPUser(name: "bob", root: FTPPath("/bob"), permissions: .readOnly))
        #expect(await auth.authenticate(user: "bob", password: "pw", client: "x") != nil)  // cached path
        #expect(await auth.authenticate(user: "bob", password: "nope", client: "x") == nil)
        #expect(await auth.authenticate(user: "eve", password: "pw", client: "x") == nil)
        // Reload picks up a changed password; the cache does not keep the old one valid.
        try file.setUser("bob", password: "new", root: nil, permissions: nil, iterations: 1000)
        try file.write(to: path)
        try auth.reload()
        #expect(await auth.authenticate(user: "bob", password: "pw", client: "x") == nil)
        #expect(await auth.authenticate(user: "bob", password: "new", client: "x") != nil)
    }

    /// `reloadIfChanged()` reads the file only when it changed; a broken version throws once and changes nothing;
    /// a file gone missing changes nothing.
    @Test func theUsersFileIsReadAgainOnlyWhenItChanged() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.path + "/users.json"
        var file = UsersFile()
        try file.setUser("ann", password: "one", root: nil, permissions: nil, iterations: 1000)
        try file.write(to: path)
        let auth = try UsersFileAuthenticator(path: path)
        #expect(try auth.reloadIfChanged() == false)
        try file.setUser("bob", password: "two", root: nil, permissions: nil, iterations: 1000)
        try file.write(to: path)
        #expect(try auth.reloadIfChanged() == true)
        #expect(try auth.reloadIfChanged() == false)
        #expect(await auth.authenticate(user: "bob", password: "two", client: "x") != nil)

        try Data("{broken".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: FTPConfigurationError.self) { try auth.reloadIfChanged() }
        #expect(try auth.reloadIfChanged() == false, "a broken file is reported once")
        #expect(await auth.authenticate(user: "bob", password: "two", client: "x") != nil)
        try FileManager.default.removeItem(atPath: path)
        #expect(try auth.reloadIfChanged() == false)
        #expect(await auth.authenticate(user: "ann", password: "one", client: "x") != nil)
        // An authenticator made from a file in memory has nothing to follow.
        #expect(try UsersFileAuthenticator(file: file).reloadIfChanged() == false)
    }

    /// A client opening many sessions at once with one user's password costs one key derivation, not one each, on
    /// the thread pool (never an event loop); a different password does not join it.
    @Test func concurrentLoginsShareOneKeyDerivation() async throws {
        var file = UsersFile()
        try file.setUser("bob", password: "pw", root: nil, permissions: nil, iterations: 1000)
        let calls = Mutex(0)
        let gate = DispatchSemaphore(value: 0)
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        let onEventLoop = Mutex(0)
        let auth = UsersFileAuthenticator(file: file, threadPool: pool) { password, stored in
            calls.withLock { $0 += 1 }
            if MultiThreadedEventLoopGroup.currentEventLoop != nil { onEventLoop.withLock { $0 += 1 } }
            gate.wait()  // on the pool's thread, held until every login has joined
            return PasswordHasher.verify(password, against: stored)
        }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { await auth.authenticate(user: "bob", password: "pw", client: "x") != nil } }
            group.addTask { await auth.authenticate(user: "bob", password: "wrong", client: "x") != nil }
            try await eventually("21 logins waiting") { auth.loginsAwaitingDerivation == 21 }
            try await eventually("two derivations running") { calls.withLock { $0 } == 2 }
            gate.signal()
            gate.signal()
            var accepted = 0
            for try await ok in group where ok { accepted += 1 }
            #expect(accepted == 20)
        }
        #expect(calls.withLock { $0 } == 2)
        #expect(onEventLoop.withLock { $0 } == 0, "a key derivation ran on an event loop")
        #expect(auth.loginsAwaitingDerivation == 0)
        // Cached now: no derivation at all.
        #expect(await auth.authenticate(user: "bob", password: "pw", client: "x") != nil)
        #expect(calls.withLock { $0 } == 2)
        try await pool.shutdownGracefully()
    }

    @Test(arguments: [
        ("{", "not valid"), ("{\"users\": [{\"name\": \"a\"}]}", "missing 'password'"),
        ("{\"users\": [{\"name\": \"a\", \"password\": \"plain\"}]}", "not a pbkdf2-sha256 hash"),
        ("{\"users\": [{\"name\": \"a b\", \"password\": \"x\"}]}", "invalid user name"),
    ])
    func badUsersFilesSayWhatIsWrong(_ content: String, _ message: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try content.write(toFile: dir.path + "/u.json", atomically: true, encoding: .utf8)
        do {
            _ = try UsersFile(contentsOf: dir.path + "/u.json")
            Issue.record("accepted a bad users file")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func loginThrottleBansAndForgives() {
        var t = LoginThrottle(threshold: 3, window: .seconds(60), banDuration: .seconds(100))
        let now = ContinuousClock.now
        func fail(_ address: String, _ seconds: Int) -> Bool { t.recordFailure(address, now: now + .seconds(seconds)) }
        #expect(fail("a", 0) == false)
        #expect(fail("a", 1) == false)
        #expect(fail("a", 2) == true)
        #expect(t.isBanned("a", now: now + .seconds(50)))
        #expect(!t.isBanned("a", now: now + .seconds(103)))
        #expect(!t.isBanned("b", now: now))
        // Failures outside the window do not add up.
        #expect(fail("c", 0) == false)
        #expect(fail("c", 61) == false)
        #expect(fail("c", 122) == false)
    }
}
