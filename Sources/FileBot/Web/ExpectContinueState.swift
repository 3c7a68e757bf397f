/// Whether a connection must close after its response because the client is still holding back a request body
/// it announced with `Expect: 100-continue`.
///
/// A refused upload (a bad link, a file over the limit) is answered before the server asks for the body. curl then
/// gives up sending it, but the request's `Content-Length` still stands: the next bytes on the connection would be
/// read as that body, and a client that sends nothing would hold the connection forever. RFC 9110 §10.1.1 lets the
/// server close instead; it says so in the answer with `Connection: close`. Pure: ``ExpectContinueHandler`` feeds it
/// the request and response parts it sees and carries out what it returns.
package struct ExpectContinueState: Sendable, Equatable {
    private enum Request: Sendable, Equatable {
        /// No request, or one that needs nothing: no expectation, already asked for, or its body already flowing.
        case settled
        /// Announced a body with `100-continue`; nothing of it received and no `100 Continue` sent yet.
        case holdingBody
    }

    private var request = Request.settled
    private var closeAfterResponse = false

    package init() {}

    /// A request head arrived.
    package mutating func requestHead(expectsContinue: Bool, hasBody: Bool) {
        self.request = expectsContinue && hasBody ? .holdingBody : .settled
    }

    /// Part of a request body, or its end, arrived: the client is sending, whatever it was told.
    package mutating func requestBodyArrived() {
        self.request = .settled
    }

    /// The server sent `100 Continue`.
    package mutating func continueSent() {
        self.request = .settled
    }

    /// The server starts its final answer: `true` when it must say `Connection: close` and close once sent.
    package mutating func finalResponseHead() -> Bool {
        self.closeAfterResponse = self.request == .holdingBody
        return self.closeAfterResponse
    }

    /// The final answer has been written: `true` when the connection is to be closed now.
    package mutating func finalResponseEnd() -> Bool {
        defer { self.closeAfterResponse = false }
        return self.closeAfterResponse
    }
}
