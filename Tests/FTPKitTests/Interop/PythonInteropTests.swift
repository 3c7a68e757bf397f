import Foundation
import Testing
import SeedTestSupport

/// Python's ftplib (a client nobody here wrote) and hand-made hostile clients against our server.
@Suite(.tags(.interop), .inTestSet(.interop)) struct PythonInteropTests {
    @Test(arguments: ["passive", "active"])
    func ftplibEveryOperation(_ mode: String) async throws {
        try await withServer { server in
            let r = try await runPython("ftplib_interop.py", server, [mode])
            #expect(r.status == 0, "\(r)")
        }
    }

    @Test(arguments: ["traversal", "bounce", "malformed", "vanish"])
    func hostile(_ scenario: String) async throws {
        // "vanish" checks that a passive port stops accepting once its transfer is given up. With a port from the
        // kernel's ephemeral range (32768+), another suite's listener could be handed the same number meanwhile and
        // accept in its place (seen once in CI); this range is below it and used by no other test.
        try await withServer({ if scenario == "vanish" { $0.passivePorts = 7000...7999 } }) { server in
            let r = try await runPython("hostile.py", server, [scenario])
            #expect(r.status == 0, "\(r)")
        }
    }

    /// Seeded random command sequences with hostile arguments, each session vanishing mid-way (see
    /// fuzz_commands.py): the server keeps serving, writes nothing outside its root, leaves no temporary upload.
    @Test(arguments: [1, 2, 3])
    func randomCommandSequences(seed: Int) async throws {
        try await withServer { server in
            let r = try await runPython("fuzz_commands.py", server, [String(seed), "40"])
            #expect(r.status == 0, "\(r)")
        }
    }

    @Test func sessionLimitsAndFailedLogins() async throws {
        try await withServer({ $0.maxSessionsPerAddress = 2 }) { server in
            let r = try await runPython("hostile.py", server, ["limits"])
            #expect(r.status == 0, "\(r)")
        }
    }
}
