import NIOCore

/// Whether a client's data connection is stalled: waiting on the server (a read asked for, or bytes handed to the
/// socket) with nothing arriving or leaving for the data timeout. Pure: the handler passes the time.
///
/// Time in which the client itself holds the transfer back does not count. A download whose consumer is slow stops
/// asking for reads (backpressure), and an upload whose source pauses has nothing to write: the link is fine, and
/// a timer that counted those pauses as silence would cut a transfer the server was still willing to wait for (and
/// end an upload with a FIN, which the server stores as a complete file). Only an upload's writes and a download's
/// reads are watched: an upload always has a read pending that no data ever answers.
struct DataStallState: Sendable, Hashable {
    enum Direction: Sendable, Hashable {
        case download, upload
    }

    let direction: Direction
    let timeout: TimeAmount
    /// Since when the transfer has been waiting on the server with no byte moved (`nil`: not waiting).
    private(set) var waitingSince: NIODeadline?
    private var readPending = false
    private var writesPending = 0

    init(direction: Direction, timeout: TimeAmount) {
        self.direction = direction
        self.timeout = timeout
    }

    private var isWaiting: Bool {
        switch self.direction {
        case .download: self.readPending
        case .upload: self.writesPending > 0
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

    /// A read went down to the socket: the client wants bytes.
    mutating func readRequested(now: NIODeadline) {
        self.readPending = true
        self.update(now: now, progressed: false)
    }

    /// Bytes arrived.
    mutating func bytesRead(now: NIODeadline) {
        self.readPending = false
        self.update(now: now, progressed: true)
    }

    /// Bytes were handed to the socket.
    mutating func writeStarted(now: NIODeadline) {
        self.writesPending += 1
        self.update(now: now, progressed: false)
    }

    /// A write left for the network (or failed: the failure is the transfer's to report).
    mutating func writeFinished(now: NIODeadline) {
        self.writesPending = max(0, self.writesPending - 1)
        self.update(now: now, progressed: true)
    }

    /// Whether the transfer has waited on the server for the whole timeout by `now`.
    func isStalled(now: NIODeadline) -> Bool {
        guard let since = self.waitingSince else { return false }
        return now - since >= self.timeout
    }
}
