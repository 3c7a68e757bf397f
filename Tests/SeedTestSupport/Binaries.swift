import Foundation

/// Where the package's executables were built, found without assuming a build folder: `SEED_BIN_PATH` if set,
/// else the folder of this test process (SwiftPM puts test bundles beside the products), else what
/// `swift build --show-bin-path` prints.
public enum Binaries {
    public static let directory: String = {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["SEED_BIN_PATH"] { return path }
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for dir in [own, own.deletingLastPathComponent()] where FileManager.default.isExecutableFile(atPath: dir.path + "/ftpbot") {
            return dir.path
        }
        return Self.showBinPath() ?? own.path
    }()

    public static func path(_ product: String) -> String { Self.directory + "/" + product }

    public static var ftpbot: String { Self.path("ftpbot") }
    public static var ftpd: String { Self.path("ftpd") }

    private static func showBinPath() -> String? {
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["swift", "build", "--show-bin-path", "--package-path", package.path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
