/// What a client's data connection needs for TLS: the context, the name to verify, the session to resume.
struct ClientTLSSetup: Sendable {
    let context: TLSContext
    let serverName: String
    let session: TLSSession?

    func makeHandler() throws -> OpenSSLHandler {
        try OpenSSLHandler(
            context: self.context, serverHostname: self.serverName, resuming: self.session, dataConnection: true)
    }
}
