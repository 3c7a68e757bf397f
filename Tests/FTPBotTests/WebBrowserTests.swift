import Balancer
import FileBot
import Foundation
import SeedTestSupport
import Testing

/// The upload page in a real browser: headless Chromium driven by selenium picks a file, the progress bar runs
/// to its end, the page shows the result, and the cluster holds the same bytes. A screenshot of the finished page
/// is kept in the test's temporary directory. Under CI a missing browser is a failure.
@Suite(.tags(.interop), .inTestSet(.interop)) struct WebBrowserTests {
    static var browserInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
    }

    static var required: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The browser's own temporary files (Chromium's profile and crash directories) go under the test's directory,
    /// removed with it, rather than into the machine's.
    static func environment(in dir: URL) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = dir.path
        return environment
    }

    @Test(.enabled(if: browserInstalled || required, "needs chromium and chromium-driver (scripts/setup)"))
    func theUploadPageInChromium() async throws {
        try #require(Self.browserInstalled, "chromium and chromium-driver are missing: run scripts/setup")
        let w = try await WebHarness.start()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // SEED_KEEP_SCREENSHOTS=1 keeps the screenshot of the finished page for a person to look at.
        defer { if ProcessInfo.processInfo.environment["SEED_KEEP_SCREENSHOTS"] == nil { try? FileManager.default.removeItem(at: dir) } }
        do {
            let data = Data((0..<8_000_000).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ $0 >> 7) })
            let file = dir.appendingPathComponent("holiday photos <2026>.zip")
            try data.write(to: file)
            let caller = Caller(id: "501", displayName: "ana", space: Space.guild("2000")!)
            let link = w.url(await w.links.uploadLink(for: caller, channel: "3000"))
            let screenshot = dir.appendingPathComponent("finished.png").path
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Peers/upload_page_browser.py").path
            let run = try await Command.run(["python3", script, link, file.path, screenshot], environment: Self.environment(in: dir))
            #expect(run.status == 0, "\(run.text)\n\(run.stderr)")
            let result = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any], "\(run.stderr)")
            #expect(result["error"] as? Bool == false)
            #expect(result["bar"] as? String == "100")
            #expect(result["name"] as? String == "holiday photos <2026>.zip")
            #expect(result["size"] as? String == "7.6 MiB")
            let stored = try #require(await w.h.cluster.knownFile("holiday photos <2026>.zip", in: caller.space))
            #expect(result["sha256"] as? String == stored.sha256)
            #expect(try await w.h.bot.get("holiday photos <2026>.zip", by: caller).get() == data)
            #expect(w.notices.withLock { $0.count } == 1)
            #expect(FileManager.default.fileExists(atPath: screenshot), "screenshot at \(screenshot)")
        } catch {
            await w.stop()
            throw error
        }
        await w.stop()
    }

    /// A file over the per-file limit picked on the page: the page says why it was refused (the server's sentence),
    /// not that the connection was lost, and nothing is stored.
    @Test(.enabled(if: browserInstalled || required, "needs chromium and chromium-driver (scripts/setup)"))
    func theUploadPageSaysWhyAFileIsRefused() async throws {
        try #require(Self.browserInstalled, "chromium and chromium-driver are missing: run scripts/setup")
        let w = try await WebHarness.start(settings: FileBotSettings(maxFileSize: 1_000_000))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let file = dir.appendingPathComponent("too big.bin")
            try Data(count: 30_000_000).write(to: file)
            let caller = Caller(id: "501", displayName: "ana", space: Space.guild("2000")!)
            let link = w.url(await w.links.uploadLink(for: caller, channel: "3000"))
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Peers/upload_page_browser.py").path
            let run = try await Command.run(
                ["python3", script, link, file.path, dir.appendingPathComponent("refused.png").path], environment: Self.environment(in: dir))
            let result = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any], "\(run.stderr)")
            #expect(result["error"] as? Bool == true, "\(result)")
            #expect((result["status"] as? String)?.contains("the limit is 976.6 KiB per file") == true, "\(result)")
            #expect(await w.h.cluster.knownFile("too big.bin", in: caller.space) == nil)
        } catch {
            await w.stop()
            throw error
        }
        await w.stop()
    }
}
