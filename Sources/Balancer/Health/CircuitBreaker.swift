/// The health of one node as a circuit breaker (pure: the caller passes time and randomness).
///
/// - closed: requests go through; `failureThreshold` consecutive failures open the circuit.
/// - open: requests fail fast, costing no waiting on the request path, until the backoff has passed.
/// - half-open: one probe is let through; success closes the circuit, failure reopens it with a longer backoff.
///
/// Backoff doubles from `initialBackoff` up to `maxBackoff`, with "full jitter" (a random point in the last part
/// of the interval) so many clients do not reconnect in step.
public struct CircuitBreaker: Sendable, Hashable {
    /// Where the breaker stands.
    public enum State: Sendable, Hashable {
        case closed(consecutiveFailures: Int)
        case open(until: ContinuousClock.Instant, attempt: Int)
        case halfOpen(attempt: Int)
    }

    /// When the circuit opens and how long it stays open.
    public struct Configuration: Sendable, Hashable {
        /// Consecutive failures that open the circuit (at least 1).
        public var failureThreshold: Int
        /// The first backoff after the circuit opens.
        public var initialBackoff: Duration
        /// The longest backoff, however many probes failed.
        public var maxBackoff: Duration
        /// The share of each backoff interval that is randomised (0 = none, 1 = all of it).
        public var jitter: Double

        /// A configuration; values out of range are clamped.
        public init(
            failureThreshold: Int = 3, initialBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(60),
            jitter: Double = 0.5
        ) {
            self.failureThreshold = max(1, failureThreshold)
            self.initialBackoff = initialBackoff
            self.maxBackoff = max(initialBackoff, maxBackoff)
            self.jitter = min(1, max(0, jitter))
        }
    }

    /// The thresholds this breaker uses.
    public let configuration: Configuration
    /// The current state.
    public private(set) var state: State = .closed(consecutiveFailures: 0)

    /// A closed breaker.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Whether a request may go to the node now. In the open state this turns into half-open once the backoff is
    /// over (and lets exactly that one request, the probe, through).
    public mutating func allowRequest(now: ContinuousClock.Instant) -> Bool {
        switch self.state {
        case .closed: return true
        case .halfOpen: return false  // a probe is already out
        case .open(let until, let attempt):
            guard now >= until else { return false }
            self.state = .halfOpen(attempt: attempt)
            return true
        }
    }

    /// Whether the node counts as usable for placement (closed, or ready for its probe).
    public func isAvailable(now: ContinuousClock.Instant) -> Bool {
        switch self.state {
        case .closed: return true
        case .halfOpen: return false
        case .open(let until, _): return now >= until
        }
    }

    /// Records a success: the circuit closes and the failure count starts again.
    public mutating func recordSuccess() {
        self.state = .closed(consecutiveFailures: 0)
    }

    /// Records a failure. `random` is a value in 0..<1 (the jitter source).
    public mutating func recordFailure(now: ContinuousClock.Instant, random: Double) {
        switch self.state {
        case .closed(let failures):
            if failures + 1 >= self.configuration.failureThreshold {
                self.state = .open(until: now + self.backoff(attempt: 0, random: random), attempt: 0)
            } else {
                self.state = .closed(consecutiveFailures: failures + 1)
            }
        case .halfOpen(let attempt), .open(_, let attempt):
            let next = attempt + 1
            self.state = .open(until: now + self.backoff(attempt: next, random: random), attempt: next)
        }
    }

    /// The wait before probe number `attempt + 1`: initial × 2^attempt, capped, the last `jitter` share random.
    public func backoff(attempt: Int, random: Double) -> Duration {
        let base = self.configuration.initialBackoff * Double(1 << min(attempt, 30))
        let capped = min(base, self.configuration.maxBackoff)
        let fixed = capped * (1 - self.configuration.jitter)
        return fixed + capped * (self.configuration.jitter * min(max(random, 0), 1))
    }
}
