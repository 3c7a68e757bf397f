package import NIOCore

/// Whether a connection is stalled: waiting on its peer (a read asked for, or bytes handed to the socket) with
/// nothing arriving or leaving for the timeout. Pure: the handler passes the time. Used for the client's data
/// connections (``StallWatchdog``), and by the bot's web front end for clients that stop reading responses.
///
/// Time in which this side itself holds the transfer back does not count. A download whose consumer is slow stops
/// asking for reads (backpressure), and an upload whose source pauses has nothing to write: the link is fine, and
/// a timer that counted those pauses as silence would cut a transfer the peer was still willing to wait for (and
/// end an FTP upload with a FIN, which the server stores as a complete file). Only one direction is watched: an
/// upload always has a read pending that no data ever answers.
package struct StallState: Sendable, Hashable {
    /// What the connection waits on the peer for: bytes to read (a download), or bytes to leave (an upload, a
    /// response).
    package enum Watched: Sendable, Hashable {
        case reads, writes
    }

    package let watched: Watched
    package let timeout: TimeAmount
    /// Since when the connection has been waiting on its peer with no byte moved (`nil`: not waiting).
    package private(set) var waitingSince: NIODeadline?
    private var readPending = false
    private var writesPending = 0

    package init(watching watched: Watched, timeout: TimeAmount) {
        self.watched = watched
        self.timeout = timeout
    }

    private var isWaiting: Bool {
        switch self.watched {
        case .reads: self.readPending
        case .writes: self.writesPending > 0
        }
    }

    /// Starts the clock when the transfer begins to wait, stops it when it no longer does; bytes moving restart it.
    private mutating func update(now: NIODeadline, progressed: Bool) {
        if !self.isWaiting {
            self.waitingSince = nil
        } else if progressed || self.waitingSince == nil {
            self.waitingSince = now
        }
    }

    /// A read went down to the socket: this side wants bytes.
    package mutating func readRequested(now: NIODeadline) {
        self.readPending = true
        self.update(now: now, progressed: false)
    }

    /// Bytes arrived.
    package mutating func bytesRead(now: NIODeadline) {
        self.readPending = false
        self.update(now: now, progressed: true)
    }

    /// Bytes were handed to the socket.
    package mutating func writeStarted(now: NIODeadline) {
        self.writesPending += 1
        self.update(now: now, progressed: false)
    }

    /// A write left for the network (or failed: the failure is the transfer's to report).
    package mutating func writeFinished(now: NIODeadline) {
        self.writesPending = max(0, self.writesPending - 1)
        self.update(now: now, progressed: true)
    }

    /// Whether the connection has waited on its peer for the whole timeout by `now`.
    package func isStalled(now: NIODeadline) -> Bool {
        guard let since = self.waitingSince else { return false }
        return now - since >= self.timeout
    }
}
