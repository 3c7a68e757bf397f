import Synchronization

/// The continuous clock's time plus an offset a test moves forward, for code that takes its time as
/// `@Sendable () -> ContinuousClock.Instant`: a backoff or a timeout passes at once instead of being waited out.
public final class ManualTime: Sendable {
    private let offset = Mutex(Duration.zero)

    public init() {}

    /// The time as the code under test sees it.
    public var now: @Sendable () -> ContinuousClock.Instant {
        { ContinuousClock.now + self.offset.withLock { $0 } }
    }

    public func advance(by duration: Duration) {
        self.offset.withLock { $0 += duration }
    }
}
