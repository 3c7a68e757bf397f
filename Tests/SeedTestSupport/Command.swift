public import Foundation

/// Runs a program to its end without blocking a thread, output collected in files (a pipe could fill up and
/// stall the child).
public enum Command {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: String
        public var text: String { String(decoding: self.stdout, as: UTF8.self) }
    }

    public static func run(_ arguments: [String], environment: [String: String]? = nil) async throws -> Output {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        try Data().write(to: out)
        try Data().write(to: err)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        if let environment { p.environment = environment }
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        p.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { c in
            p.terminationHandler = { c.resume(returning: $0.terminationStatus) }
            do { try p.run() } catch {
                p.terminationHandler = nil
                c.resume(throwing: error)
            }
        }
        return Output(status: status, stdout: try Data(contentsOf: out),
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
