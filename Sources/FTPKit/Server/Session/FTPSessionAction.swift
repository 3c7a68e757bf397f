extension FTPSessionStateMachine {
    /// What the driver does for an event. Each carries what the driver needs, so it never reads the machine's state
    /// (or a reply's text) to decide how.
    package enum Action: Sendable, Hashable {
        case none
        case reply(FTPReply)
        case replies([FTPReply])
        /// Send these replies, then close the control connection.
        case close([FTPReply])
        /// Check these credentials with the authenticator, then call ``authenticationCompleted(_:)``.
        case authenticate(user: String, password: String)
        /// A login failed: log and audit it (`reason` is what the client is told), then after `hold` call
        /// ``loginHoldElapsed()``. Nothing is answered meanwhile.
        case rejectLogin(user: String, reason: String, hold: Duration)
        /// Open a passive listener (closing any previous one), TLS-wrapped when `secure`, then call
        /// ``passiveListenerOpened(port:)`` or ``passiveListenerFailed(_:)``.
        case openPassiveListener(secure: Bool)
        /// Close the passive listener, if any, and send the reply.
        case closeDataEndpoint(FTPReply)
        /// A data connection is being prepared: the reply (227/229 after PASV/EPSV, 200 after PORT/EPRT) tells the
        /// client to connect or wait for one next. With `closePassiveListener` (active mode) the passive listener, if
        /// any, is closed first; with `sendTLSTicket` the driver sends a fresh TLS session ticket ahead of the reply,
        /// since the client resumes the control connection's session on the data connection and TLS 1.3 tickets are
        /// single-use.
        case dataEndpointReady(FTPReply, closePassiveListener: Bool, sendTLSTicket: Bool)
        case fileOperation(FTPFileOperation)
        /// Write the listing's reply up to its last line, a batch of entries at a time as the client takes them, then
        /// call ``statusListingSent(_:)``.
        case sendStatusListing(FTPStatusListing)
        /// Run a transfer: open the storage handle, get the data connection, call ``transferStarting()`` for the
        /// preliminary reply, move the data, then call ``transferCompleted(_:)``.
        case transfer(FTPTransfer)
        /// ABOR during a transfer: stop it; its completion will answer.
        case abortTransfer
        /// ABOR during a HASH: cancel the running file operation; its completion will answer.
        case abortFileOperation
        /// REIN: drop `loggedOutUser`'s session state (quota, rates, passive listener) and send the reply.
        case reinitialize(FTPReply, loggedOutUser: String)
        /// Send the reply in clear text, then start TLS on the control connection (AUTH TLS).
        case startTLS(FTPReply)
    }

    /// What the authenticator and the server's books said about a PASS.
    package enum AuthenticationOutcome: Sendable, Hashable {
        case accepted(FTPUser)
        /// Wrong name or password; `addressBanned` when this failure (or earlier ones) got the client's address
        /// banned.
        case rejected(addressBanned: Bool)
        /// The credentials are right but the user already has as many sessions as allowed.
        case sessionLimitReached
    }
}

extension FTPSessionStateMachine.Action {
    var reply: FTPReply? {
        if case .reply(let r) = self { return r }
        return nil
    }
}
