import Testing

@testable import FTPKit

/// What `validate()` refuses: values that would make the server misbehave rather than limit it.
@Suite(.tags(.unit), .inTestSet(.unit)) struct ServerConfigurationTests {
    /// Whatever holds a password or its hash describes itself without it, so logging a configuration (or an error
    /// that interpolates one) cannot leak it: before, their default descriptions printed every field.
    @Test func secretsStayOutOfDescriptions() throws {
        let pool = FTPConnectionPool.Configuration(host: "node.example", port: 2121, user: "bot", password: "pool-s3cret")
        let auth = StaticAuthenticator([(name: "alice", password: "static-s3cret", permissions: .all)])
        let hash = try PasswordHasher.hash("entry-s3cret", iterations: 1000)
        let entry = UsersFile.Entry(name: "bob", password: hash, root: "/bob", permissions: ["read"])
        let file = UsersFile(entries: [entry])
        let described: [(String, String)] = [
            ("\(pool)", "pool-s3cret"), (String(reflecting: pool), "pool-s3cret"),
            ("\(auth)", "static-s3cret"), (String(reflecting: auth), "static-s3cret"),
            ("\(entry)", hash), (String(reflecting: entry), hash), ("\(file)", hash), (String(reflecting: file), hash),
        ]
        for (text, secret) in described { #expect(!text.contains(secret), "\(text)") }
        #expect("\(pool)" == "ftp://bot@node.example:2121, up to 4 connections")
        #expect("\(auth)" == "StaticAuthenticator(alice)")
        #expect("\(entry)" == "Entry(bob, root /bob, read)")
    }

    @Test func timeoutsAndLimitsMustBeSensible() {
        let base = FTPServerConfiguration(storage: MemoryStorage(), authenticator: StaticAuthenticator([]))
        #expect(throws: Never.self) { try base.validate() }
        var idle = base
        idle.idleTimeout = .zero
        #expect(throws: FTPConfigurationError("the idle timeout must be longer than zero, got \(Duration.zero)")) { try idle.validate() }
        var data = base
        data.dataTimeout = .seconds(-1)
        #expect(throws: FTPConfigurationError("the data timeout must be longer than zero, got \(Duration.seconds(-1))")) { try data.validate() }
        var grace = base
        grace.shutdownGracePeriod = .zero  // close at once: allowed
        grace.loginFailureDelay = .zero
        #expect(throws: Never.self) { try grace.validate() }
        grace.banDuration = .seconds(-5)
        #expect(throws: FTPConfigurationError("the ban duration cannot be negative, got \(Duration.seconds(-5))")) { try grace.validate() }
        var queue = base
        queue.maxQueuedCommands = 0
        #expect(throws: FTPConfigurationError("login failure, ban and queued-command limits must be at least 1")) { try queue.validate() }
    }
}
