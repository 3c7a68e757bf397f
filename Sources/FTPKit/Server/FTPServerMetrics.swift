import CoreMetrics

/// The server's metrics through the swift-metrics API (whatever backend the program bootstraps; ftpd uses
/// Prometheus): sessions open, logins by result, bytes in and out, transfers by direction and result, and transfer
/// durations. Created once per server; recording is lock-free in the usual backends.
struct FTPServerMetrics: Sendable {
    let sessions = Meter(label: "ftpd_sessions")
    let loginsOK = Counter(label: "ftpd_logins_total", dimensions: [("result", "ok")])
    let loginsFailed = Counter(label: "ftpd_logins_total", dimensions: [("result", "failed")])
    let bytesReceived = Counter(label: "ftpd_bytes_received_total")
    let bytesSent = Counter(label: "ftpd_bytes_sent_total")

    func transfer(direction: String, complete: Bool, bytes: UInt64, seconds: Double) {
        Counter(label: "ftpd_transfers_total", dimensions: [("direction", direction), ("result", complete ? "complete" : "failed")])
            .increment()
        Timer(label: "ftpd_transfer_duration_seconds", dimensions: [("direction", direction)])
            .recordNanoseconds(Int64(seconds * 1e9))
        switch direction {
        case "received": self.bytesReceived.increment(by: Int64(clamping: bytes))
        case "sent", "listed": self.bytesSent.increment(by: Int64(clamping: bytes))
        default: break
        }
    }

    func record(_ event: FTPServerEvent) {
        switch event {
        case .loggedIn: self.loginsOK.increment()
        case .loginFailed: self.loginsFailed.increment()
        default: break
        }
    }
}
