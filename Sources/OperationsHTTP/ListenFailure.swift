import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a server could not listen on an address, in the operator's words: which address, and what to do about it,
/// instead of the system call's (`bind(descriptor:ptr:bytes:): Address already in use (errno: 98)`) or the
/// resolver's (`SocketAddressError.UnknownHost …`). Shared by the programs: ftpd, ftpbot (web front end, metrics)
/// and discord-emulator.
package enum ListenFailure {
    package static func describe(_ error: any Error, address: String) -> String {
        if let io = error as? IOError {
            return switch io.errnoCode {
            case EADDRINUSE: "cannot listen on \(address): something already listens there"
            case EACCES: "cannot listen on \(address): ports below 1024 need privileges"
            case EADDRNOTAVAIL: "cannot listen on \(address): this machine has no such address"
            default: "cannot listen on \(address): \(String(cString: strerror(io.errnoCode)))"
            }
        }
        if error is SocketAddressError || error is SocketAddressError.UnknownHost {
            return "cannot listen on \(address): not an address of this machine (give an IP address, or a name it resolves)"
        }
        return "cannot listen on \(address): \(error)"
    }
}
