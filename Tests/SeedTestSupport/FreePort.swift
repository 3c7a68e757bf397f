#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A loopback TCP port that nothing holds now, for a server started by a test that must be told its port (a peer
/// program, a child ftpd, PostgreSQL).
///
/// Drawn from 1025-6999, below the kernel's ephemeral range (32768 and up) and below the fixed bands some tests
/// use (7000-7999 for passive ports, 10000-19999 for HAProxy's, 20000-40399 for vsftpd's). A port handed out from
/// the ephemeral range stayed free only until the next bind to port 0: the tests' own servers and passive listeners
/// make thousands of those, and once one took the port in the instant before the child bound it, the child failed
/// to start and the test's client spoke to someone else's data connection (a curl waiting two minutes for a
/// greeting). No port is handed out twice in one process.
public func freeTCPPort() throws -> Int {
    for _ in 0..<200 {
        let candidate = handedOutPorts.withLock { ports -> Int? in
            let port = Int.random(in: 1025...6999)
            guard !ports.contains(port) else { return nil }
            ports.insert(port)
            return port
        }
        if let candidate, isFreeLoopbackPort(candidate) { return candidate }
    }
    throw PortExhausted()
}

/// No free port was found below the ephemeral range.
public struct PortExhausted: Error, CustomStringConvertible {
    public var description: String { "no free loopback TCP port in 1025-6999" }
}

private let handedOutPorts = Mutex<Set<Int>>([])

/// Whether a plain bind (no SO_REUSEADDR, so a listener or a connection in TIME_WAIT on it counts) succeeds.
private func isFreeLoopbackPort(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
