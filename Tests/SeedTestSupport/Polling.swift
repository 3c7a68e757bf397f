/// Waits for a condition that no event announces (a file appearing, another process's state), checking it
/// every `interval` until `timeout`: a deadline, never a fixed sleep standing in for "long enough".
public struct PollTimeout: Error, CustomStringConvertible {
    public var description: String
}

public func eventually(
    _ what: String, timeout: Duration = .seconds(20), interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw PollTimeout(description: "timed out waiting for \(what)") }
        try await Task.sleep(for: interval)
    }
}

/// Like ``eventually(_:timeout:interval:_:)``, for a value that appears (a port a program writes into a file):
/// returns the first non-nil one.
public func eventuallyValue<T>(
    _ what: String, timeout: Duration = .seconds(20), interval: Duration = .milliseconds(20),
    _ produce: () async throws -> T?
) async throws -> T {
    var found: T?
    try await eventually(what, timeout: timeout, interval: interval) {
        found = try await produce()
        return found != nil
    }
    guard let found else { throw PollTimeout(description: "timed out waiting for \(what)") }
    return found
}

/// Calls `sample` every `interval` while `body` runs; returns `body`'s result and the samples' maximum.
public func sampling<T: Sendable>(
    every interval: Duration = .milliseconds(20), _ sample: @escaping @Sendable () -> UInt64, during body: () async throws -> T
) async throws -> (T, UInt64) {
    let sampler = Task {
        var peak = sample()
        while !Task.isCancelled {
            peak = max(peak, sample())
            try? await Task.sleep(for: interval)
        }
        return max(peak, sample())
    }
    do {
        let result = try await body()
        sampler.cancel()
        return (result, await sampler.value)
    } catch {
        sampler.cancel()
        _ = await sampler.value
        throw error
    }
}
