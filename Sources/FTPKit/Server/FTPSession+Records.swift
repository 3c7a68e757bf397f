import Foundation
import Logging

/// What a session records of its work: server events, the audit log, metrics and the log.
extension FTPSession {
    func emitFileEvent(_ operation: FTPFileOperation, _ result: FTPFileOperationResult, user: String) {
        let audit: (FTPAuditRecord.Event, FTPPath, FTPPath?)? = switch operation {
        case .delete(_, let d): (.delete, d, nil)
        case .makeDirectory(_, let d): (.mkdir, d, nil)
        case .removeDirectory(_, let d): (.rmdir, d, nil)
        case .rename(_, _, let from, let d): (.rename, from, d)
        case .setPermissions(_, _, let d): (.chmod, d, nil)
        default: nil
        }
        if let (event, path, to) = audit {
            var record = FTPAuditRecord(
                event: event, user: user, address: self.clientAddress, path: path.description, to: to?.description)
            if case .setPermissions(_, let mode, _) = operation { record.mode = String(mode, radix: 8) }
            if case .failed(let error) = result {
                record.result = .failed
                record.reason = error.reply.lines.joined(separator: " ")
            }
            self.server.audit(record)
        }
        if case .failed = result { return }
        switch operation {
        case .delete(_, let d): self.server.emit(.deleted(path: d, user: user))
        case .makeDirectory(_, let d): self.server.emit(.directoryCreated(path: d, user: user))
        case .removeDirectory(_, let d): self.server.emit(.directoryRemoved(path: d, user: user))
        case .rename(_, _, let from, let d): self.server.emit(.renamed(from: from, to: d, user: user))
        default: break
        }
    }

    func logTransfer(
        _ transfer: FTPTransfer, _ outcome: FTPTransferRunner.Outcome, user: String, started: ContinuousClock.Instant
    ) {
        let result = outcome.result
        let elapsed = ContinuousClock.now - started
        var bytes: UInt64 = 0
        var complete = false
        switch result {
        case .completed(let b, _): bytes = b; complete = true
        case .connectionLost(let b), .aborted(let b), .uncleanTLSEnd(let b), .localError(_, let b): bytes = b
        case .storageFailed, .dataConnectionFailed, .securityFailure:
            self.auditTransfer(transfer, result, user: user, bytes: 0, seconds: Self.seconds(elapsed))
            return
        }
        self.auditTransfer(transfer, result, user: user, bytes: bytes, seconds: Self.seconds(elapsed), sha256: outcome.sha256)
        let direction: String
        switch transfer.kind {
        case .retrieve:
            direction = "sent"
            self.server.emit(.fileSent(path: transfer.virtualPath, user: user, bytes: bytes, complete: complete))
        case .store, .storeUnique:
            direction = "received"
            var path = transfer.virtualPath
            if case .storeUnique = transfer.kind, case .completed(_, let name?) = result { path = path.appending(name) }
            self.server.emit(.fileReceived(path: path, user: user, bytes: bytes, complete: complete))
        case .list:
            direction = "listed"
        }
        let seconds = Self.seconds(elapsed)
        self.server.metrics.transfer(direction: direction, complete: complete, bytes: bytes, seconds: seconds)
        self.logger.info("transfer \(complete ? "complete" : "failed")", metadata: [
            "direction": "\(direction)", "path": "\(transfer.virtualPath)", "bytes": "\(bytes)",
            "seconds": "\(seconds)",
        ])
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    func auditTransfer(
        _ transfer: FTPTransfer, _ result: FTPTransferResult, user: String, bytes: UInt64, seconds: Double,
        sha256: String? = nil
    ) {
        let event: FTPAuditRecord.Event
        var path = transfer.virtualPath
        switch transfer.kind {
        case .retrieve: event = .download
        case .store, .storeUnique:
            event = .upload
            if case .storeUnique = transfer.kind, case .completed(_, let name?) = result { path = path.appending(name) }
        case .list: return
        }
        var record = FTPAuditRecord(
            event: event, user: user, address: self.clientAddress, path: path.description, bytes: bytes,
            duration: seconds, sha256: sha256)
        switch result {
        case .completed: record.result = .ok
        case .connectionLost, .aborted, .uncleanTLSEnd:
            record.result = .incomplete
        case .localError(let error, _), .storageFailed(let error):
            record.result = .failed
            record.reason = error.reply.lines.joined(separator: " ")
        case .dataConnectionFailed(let reason), .securityFailure(let reason):
            record.result = .failed
            record.reason = reason
        }
        self.server.audit(record)
    }
}
