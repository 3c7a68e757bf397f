import ServiceLifecycle

/// Runs an action every `interval`, as a service of the process's `ServiceGroup`, which ends it on graceful
/// shutdown (the users file's change check).
struct PeriodicAction: Service {
    let interval: Duration
    let action: @Sendable () -> Void

    init(every interval: Duration, action: @escaping @Sendable () -> Void) {
        self.interval = interval
        self.action = action
    }

    func run() async throws {
        // Ends by cancellation, which is this service's normal end, not a failure of the group.
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: self.interval)
                self.action()
            }
        }
    }
}
