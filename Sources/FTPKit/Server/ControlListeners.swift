import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The sockets listening on one control port: one per event loop, all bound to the port with `SO_REUSEPORT`, each
/// serving the connections it accepts on its own loop.
///
/// With a single listening socket every connection was accepted on one loop and registered on another, a wake-up of
/// that loop in series with each client's wait for the greeting (Docs/benchmarks.md: the greeting cost 45-75 µs more
/// than pyftpdlib's). Here the kernel spreads incoming connections over the sockets by their addresses, and the
/// thread that accepts a connection also greets it. This is what nginx's `reuseport` and Envoy's listeners do.
///
/// `SO_REUSEPORT` would also let a second server of the same user bind the port and silently take part of its
/// connections; a plain bind is tried first, so a port anything already listens on is refused as before.
struct ControlListeners: Sendable {
    let channels: [any Channel]

    /// The port bound (the one chosen by the kernel when port 0 was asked for).
    var port: Int? { self.channels.first?.localAddress?.port }

    /// The first listener's loop, for the server's own timers.
    var eventLoop: any EventLoop { self.channels[0].eventLoop }

    /// Succeeds once every socket is closed.
    func closed() async {
        for channel in self.channels { try? await channel.closeFuture.get() }
    }

    /// Asks every socket to close (done on their loops; ``closed()`` waits for it).
    func close() {
        for channel in self.channels { channel.close(promise: nil) }
    }

    /// Runs `body` when any of the sockets closes (an error, or ``close()``).
    func whenAnyCloses(_ body: @escaping @Sendable () -> Void) {
        for channel in self.channels { channel.closeFuture.whenComplete { _ in body() } }
    }

    /// Binds `host:port` once per loop of `group`. `configure` sets up the server bootstrap's child options and
    /// initializer; the accepted connections stay on the loop of the socket that accepted them. Accepts failing for
    /// lack of descriptors pause and are logged to `logger` (``AcceptFailureLog``).
    static func bind(
        group: any EventLoopGroup, host: String, port: Int, backlog: Int32, logger: Logger,
        configure: @escaping @Sendable (ServerBootstrap) -> ServerBootstrap
    ) async throws -> ControlListeners {
        let loops = Array(group.makeIterator())
        let reusePort = ChannelOptions.Types.SocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_REUSEPORT))
        if port != 0 { try refuseIfListenedOn(host: host, port: port) }
        var channels: [any Channel] = []
        let failures = AcceptFailureHandler.SharedLog()
        do {
            var boundPort = port
            for loop in loops {
                let bootstrap = ServerBootstrap(group: loop, childGroup: loop)
                    .serverChannelOption(.backlog, value: backlog)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(reusePort, value: 1)
                    .serverChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try AcceptFailureHandler.install(on: channel, logger: logger, log: failures) }
                    }
                let channel = try await configure(bootstrap).bind(host: host, port: boundPort).get()
                channels.append(channel)
                // Port 0 asks the kernel for a port: the other sockets join the one it chose.
                boundPort = channel.localAddress?.port ?? boundPort
            }
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
        return ControlListeners(channels: channels)
    }
}

/// Throws "address already in use" when any socket listens on `host:port`, with SO_REUSEPORT or not: a bind with
/// SO_REUSEADDR alone conflicts with every listener (and with nothing else, so a restart beside the last run's
/// TIME_WAIT connections still works). The probe never listens: a listening probe would complete handshakes, and
/// a client connecting in that instant would wait on a connection nobody serves.
private func refuseIfListenedOn(host: String, port: Int) throws {
    let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
    let fd = socket(address.protocol.rawValue, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
    defer { close(fd) }
    var on: Int32 = 1
    _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
    let result = address.withSockAddr { pointer, length in bind(fd, pointer, socklen_t(length)) }
    if result != 0 { throw IOError(errnoCode: errno, reason: "bind") }
}
