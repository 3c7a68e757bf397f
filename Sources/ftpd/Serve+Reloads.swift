import FTPKit
import Logging
import ServiceLifecycle

extension Serve {
    /// What keeps a running server current: on SIGHUP the users, the advertised addresses' DNS names, the audit
    /// log (after a rotation) and the TLS certificate; and the users file whenever it changes. Each keeps what it
    /// had when the new one cannot be read, and says so.
    static func reloadServices(
        server: FTPServer, authenticator: UsersFileAuthenticator, advertised: FTPAdvertisedAddresses?,
        auditLog: FTPAuditLog?, shadowedAccount: @escaping @Sendable () -> String?, logger: Logger
    ) -> [any Service] {
        let reloader = SignalActions(trapping: [.sighup], name: "reload") {
            do {
                try authenticator.reload()
                logger.info("users reloaded")
                if let shadowed = shadowedAccount() {
                    logger.warning("a user can never log in: --anonymous takes the name for anonymous logins", metadata: ["user": "\(shadowed)"])
                }
            } catch {
                logger.error("users not reloaded, keeping the previous ones", metadata: ["error": "\(error)"])
            }
            if let advertised {
                // DNS names may point elsewhere now (a new public address).
                do {
                    let fresh = try advertised.resolved()
                    try server.updateAdvertisedAddresses(fresh)
                    logger.info("advertised addresses resolved", metadata: ["addresses": "\(fresh)"])
                } catch {
                    logger.error("advertised addresses not resolved, keeping the previous ones", metadata: ["error": "\(error)"])
                }
            }
            if let auditLog {
                // After a rotation tool renamed the file: new records go to a new file at the same path.
                do {
                    try auditLog.reopen()
                    logger.info("audit log reopened")
                } catch {
                    logger.error("audit log not reopened, writing to the previous file", metadata: ["error": "\(error)"])
                }
            }
            guard server.configuration.tls != nil else { return }
            do {
                try server.reloadTLSCertificate()
                logger.info("TLS certificate reloaded")
            } catch {
                logger.error("TLS certificate not reloaded, keeping the previous one", metadata: ["error": "\(error)"])
            }
        }
        // `ftpd user add` and edits of the users file take effect without a SIGHUP.
        let usersWatch = PeriodicAction(every: .seconds(2)) {
            do {
                if try authenticator.reloadIfChanged() {
                    logger.info("users file changed: users reloaded")
                    if let shadowed = shadowedAccount() {
                        logger.warning("a user can never log in: --anonymous takes the name for anonymous logins", metadata: ["user": "\(shadowed)"])
                    }
                }
            } catch {
                logger.error("users file changed but not reloaded, keeping the previous users", metadata: ["error": "\(error)"])
            }
        }
        return [reloader, usersWatch]
    }
}
