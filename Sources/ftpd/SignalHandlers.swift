import Dispatch
import Foundation

/// SIGINT/SIGTERM for graceful shutdown, SIGHUP for reloading users.
final class SignalHandlers {
    private let sources: [any DispatchSourceSignal]

    init() {
        for s in [SIGINT, SIGTERM, SIGHUP] { signal(s, SIG_IGN) }
        self.sources = [SIGINT, SIGTERM, SIGHUP].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
    }

    func onTerminate(_ body: @escaping @Sendable () -> Void) {
        for s in self.sources.prefix(2) {
            s.setEventHandler(handler: body)
            s.resume()
        }
    }

    func onReload(_ body: @escaping @Sendable () -> Void) {
        self.sources[2].setEventHandler(handler: body)
        self.sources[2].resume()
    }

    func cancel() { self.sources.forEach { $0.cancel() } }
}
