/// Where a control connection stands. Each case carries only what exists in that phase, so a logged-out session
/// cannot hold a data setup or a rename, and "authenticating" is said once, not once per variable.
enum FTPSessionPhase: Sendable, Hashable {
    /// Accepted; the PROXY header and the server's admission checks are pending. Lines wait in the queue.
    case awaitingAdmission
    /// Greeted; USER and PASS come next.
    case loggedOut(LoggedOut)
    /// The authenticator is checking a password.
    case authenticating(Authenticating)
    /// A login failed: its answer waits out the failure delay, and nothing else is answered meanwhile.
    case loginHeld(LoginHold)
    case loggedIn(LoggedIn)
    /// Closed by a reply (QUIT, idle timeout, shutdown…) or by the connection: every later event is ignored. Keeps
    /// the user it ended with for the records written as it winds down.
    case closed(user: FTPUser?)

    struct LoggedOut: Sendable, Hashable {
        /// The name from USER, waiting for PASS.
        var userName: String?
        var failedLogins = 0
    }

    struct Authenticating: Sendable, Hashable {
        var userName: String
        var failedLogins: Int
    }

    struct LoginHold: Sendable, Hashable {
        var failedLogins: Int
        /// Sent when the hold ends.
        var reply: FTPReply
        /// The session closes after `reply` (too many failures, or the address is banned).
        var closes: Bool
    }

    struct LoggedIn: Sendable, Hashable {
        var user: FTPUser
        var directory: FTPPath = .root
        var type: FTPDataType = .ascii
        /// REST: applies to the next transfer only.
        var restartOffset: UInt64?
        /// RANG (draft-bryan-ftp-range): applies to the next RETR or HASH only.
        var range: ClosedRange<UInt64>?
        /// RNFR's source: RNTO must follow directly.
        var renameFrom: RenameSource?
        var data: DataSetup = .none
        /// EPSV ALL: PASV, PORT and EPRT are refused from now on (RFC 2428 §4).
        var extendedPassiveOnly = false
        var activity: Activity = .idle

        init(user: FTPUser) { self.user = user }
    }

    struct RenameSource: Sendable, Hashable {
        var storage: FTPPath
        var display: FTPPath
    }

    enum DataSetup: Sendable, Hashable {
        case none
        case passive(port: Int, extended: Bool)
        case active(FTPHostPort)
    }

    /// What a logged-in session is waiting for; commands wait in the queue unless it is `idle` (ABOR, STAT and
    /// QUIT also run during a transfer).
    enum Activity: Sendable, Hashable {
        case idle
        case fileOperation
        /// HASH reads the whole file, which may take as long as a transfer: ABOR stops it (`aborting` once asked).
        case hashing(aborting: Bool)
        /// A STAT listing's lines are being written on the control connection; with `shutDownAfter`, the server is
        /// shutting down and the session closes once the reply has ended (a 421 inside it would be read as text).
        case sendingStatus(shutDownAfter: Bool)
        case openingPassive(extended: Bool)
        case transferring(RunningTransfer)
    }

    struct RunningTransfer: Sendable, Hashable {
        var transfer: FTPTransfer
        var aborting = false
        var afterwards: AfterTransfer = .carryOn
    }

    /// What happens once the running transfer has answered.
    enum AfterTransfer: Sendable, Hashable {
        case carryOn
        /// QUIT arrived during the transfer: 221, then close.
        case quit
        /// The server is shutting down: 421, then close.
        case shutDown
    }
}
