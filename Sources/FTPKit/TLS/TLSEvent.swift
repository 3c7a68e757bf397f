/// Events the TLS handler sends up the pipeline.
public enum TLSEvent: Sendable, Hashable {
    case handshakeCompleted(protocolVersion: String, resumedSession: Bool)
    /// The peer sent close_notify: its data ended cleanly (an upload was not truncated).
    case closeNotifyReceived
}
