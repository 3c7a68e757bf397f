import Logging
import ServiceLifecycle
import UnixSignals

/// Runs an action each time one of the given signals arrives (SIGHUP: reload), as a service of the process's
/// `ServiceGroup`, which ends it on graceful shutdown.
struct SignalActions: Service {
    let signals: [UnixSignal]
    let name: String
    let action: @Sendable () -> Void

    init(trapping signals: [UnixSignal], name: String, action: @escaping @Sendable () -> Void) {
        self.signals = signals
        self.name = name
        self.action = action
    }

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: self.signals).cancelOnGracefulShutdown() {
            self.action()
        }
    }
}
