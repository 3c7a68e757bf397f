package import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a listening socket does when `accept` fails: whether to pause accepting, and when to tell the operator.
///
/// A process out of file descriptors cannot accept: the connection stays in the kernel's queue and the socket stays
/// readable, so an event loop that simply retries spins on both cores while nothing is logged (measured: 200 % CPU
/// with 300 clients against a limit of 128). Like nginx, which stops accepting for a while and logs the failure,
/// accepting pauses for ``pause`` (the clients wait in the queue and are served as soon as sessions end) and the
/// first failure is logged at once, then at most one line per ``interval`` with the count since, so a long shortage
/// neither floods the log nor goes unseen. Pure: the handler passes the time in.
package struct AcceptFailureLog: Sendable {
    package enum Action: Equatable, Sendable {
        /// Log `sentence`; `failures` accepts failed since the last line (this one included).
        case log(sentence: String, failures: Int)
        case quiet
    }

    /// How long accepting pauses after a shortage.
    package static let pause = TimeAmount.milliseconds(100)

    package let interval: TimeAmount
    private var lastLogged: NIODeadline?
    private var unlogged = 0

    package init(interval: TimeAmount = .seconds(30)) { self.interval = interval }

    /// Whether an accept failing with `errno` should pause accepting (the shortages that last; not a client that gave
    /// up before it was accepted, `ECONNABORTED`).
    package static func pauses(errno code: CInt) -> Bool { Self.shortage(code) != nil }

    /// One failed accept at `now`.
    package mutating func failed(errno code: CInt, at now: NIODeadline) -> Action {
        guard let sentence = Self.shortage(code) else { return .quiet }
        self.unlogged += 1
        if let last = self.lastLogged, now - last < self.interval { return .quiet }
        self.lastLogged = now
        defer { self.unlogged = 0 }
        return .log(sentence: sentence, failures: self.unlogged)
    }

    /// The plain sentence for a shortage that pauses accepting, or `nil` for any other error.
    static func shortage(_ code: CInt) -> String? {
        switch code {
        case EMFILE:
            return "cannot accept connections: the server has used all the file descriptors its open-files limit allows; "
                + "new clients wait until sessions end (raise the limit, e.g. ulimit -n or systemd's LimitNOFILE, or lower the session limit)"
        case ENFILE:
            return "cannot accept connections: the system has no file descriptors left; new clients wait until some are freed"
        case ENOBUFS, ENOMEM:
            return "cannot accept connections: the system is out of memory for sockets; new clients wait until some is freed"
        default:
            return nil
        }
    }
}
