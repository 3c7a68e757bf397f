/// What to do with `Expect: 100-continue` on one HTTP/1 connection: whether a `100 Continue` goes out, and whether the
/// connection must close after a response because the client still holds back the body it announced (or, as
/// HTTP/1.0 without keep-alive, expects the connection to end with the response).
///
/// A refused upload (a bad link, a file over the limit) is answered before the server asks for the body. curl then
/// gives up sending it, but the request's `Content-Length` still stands: the next bytes on the connection would be
/// read as that body, and a client that sends nothing would hold the connection forever. RFC 9110 §10.1.1 lets the
/// server close instead; it says so in the answer with `Connection: close`. HTTP/1.0 clients get no `100 Continue`
/// (RFC 9110 §15.2: they do not know 1xx answers, and the server must ignore their expectation). Pure:
/// ``ExpectContinueHandler`` feeds it the request and response parts it sees and carries out what it returns.
package struct ExpectContinueState: Sendable, Equatable {
    private enum Request: Sendable, Equatable {
        /// No request, or one that needs nothing: no expectation, already asked for, or its body already flowing.
        case settled
        /// Announced a body with `100-continue`; nothing of it received and no `100 Continue` sent yet.
        case holdingBody
    }

    private var request = Request.settled
    private var persistent = true
    private var closeAfterResponse = false

    package init() {}

    /// A request head arrived. `expectsContinue`: it carries `Expect: 100-continue`; `http11`: it is HTTP/1.1 or
    /// later; `keepAlive`: the connection outlives the request (HTTP/1.1 without `Connection: close`, HTTP/1.0 with
    /// `Connection: keep-alive`).
    package mutating func requestHead(expectsContinue: Bool, http11: Bool = true, hasBody: Bool, keepAlive: Bool = true) {
        self.request = expectsContinue && http11 && hasBody ? .holdingBody : .settled
        self.persistent = keepAlive
    }

    /// Part of a request body, or its end, arrived: the client is sending, whatever it was told.
    package mutating func requestBodyArrived() {
        self.request = .settled
    }

    /// The application asks the client for the body: `true` when a `100 Continue` is to be sent (an expectation in
    /// force and not yet answered), `false` when it is to be dropped.
    package mutating func continueRequested() -> Bool {
        defer { self.request = .settled }
        return self.request == .holdingBody
    }

    /// The server starts its final answer: `true` when it must say `Connection: close` and close once sent.
    package mutating func finalResponseHead() -> Bool {
        self.closeAfterResponse = self.request == .holdingBody || !self.persistent
        return self.closeAfterResponse
    }

    /// The final answer has been written: `true` when the connection is to be closed now.
    package mutating func finalResponseEnd() -> Bool {
        defer { self.closeAfterResponse = false }
        return self.closeAfterResponse
    }
}
