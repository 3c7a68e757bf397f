/// What happened on the server, for embedders (the Balancer, metrics, audit logs).
public enum FTPServerEvent: Sendable, Hashable {
    case loggedIn(user: String, client: String)
    case loginFailed(user: String, client: String)
    case loggedOut(user: String?, client: String)
    /// An upload ended. `complete` is false when it was aborted or failed and nothing was committed.
    case fileReceived(path: FTPPath, user: String, bytes: UInt64, complete: Bool)
    case fileSent(path: FTPPath, user: String, bytes: UInt64, complete: Bool)
    case deleted(path: FTPPath, user: String)
    case renamed(from: FTPPath, to: FTPPath, user: String)
    case directoryCreated(path: FTPPath, user: String)
    case directoryRemoved(path: FTPPath, user: String)
}
