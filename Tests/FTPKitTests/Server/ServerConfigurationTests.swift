import Testing

@testable import FTPKit

/// What `validate()` refuses: values that would make the server misbehave rather than limit it.
@Suite(.tags(.unit), .inTestSet(.unit)) struct ServerConfigurationTests {
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
