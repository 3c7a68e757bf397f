package import Foundation
package import NIOCore

/// Renders directory entries for `LIST` (Unix `ls -l` style, what every client parses), `NLST` and the RFC 3659
/// machine formats (`MLSD`, `MLST`).
package enum FTPListFormatter {
    /// Whether a name can be one line of a listing. A name holding a line break (possible on disk, never through
    /// FTP, whose commands end at one) would end its line early and make the rest read as an entry of its own —
    /// in MLSD a forged entry with facts of the file's choosing. Such a name cannot be named in any command either,
    /// so listings leave it out rather than show a name nothing can fetch (vsftpd and pyftpdlib print it as is).
    package static func fitsOnALine(_ name: String) -> Bool {
        !name.utf8.contains { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
    }

    package static func longLine(_ info: FTPFileInfo, now: Date) -> String {
        var buffer = ByteBuffer()
        self.writeLongLine(info, now: now, into: &buffer)
        return String(buffer: buffer)
    }

    /// `info`'s `ls -l` line, without its line end, written straight into `buffer`: a listing's bytes go into the
    /// data connection's buffer with no String per line (building them was a third of a 200,000-entry LIST's CPU,
    /// `Docs/benchmarks.md`).
    package static func writeLongLine(_ info: FTPFileInfo, now: Date, into buffer: inout ByteBuffer) {
        let type: UInt8
        switch info.kind {
        case .file: type = UInt8(ascii: "-")
        case .directory: type = UInt8(ascii: "d")
        case .symbolicLink: type = UInt8(ascii: "l")
        case .special(let letter): type = letter.asciiValue ?? UInt8(ascii: "?")
        }
        buffer.writeInteger(type)
        let letters: (UInt8, UInt8, UInt8) = (UInt8(ascii: "r"), UInt8(ascii: "w"), UInt8(ascii: "x"))
        for shift in stride(from: 6, through: 0, by: -3) {
            let bits = info.mode >> UInt16(shift)
            buffer.writeInteger(bits & 0o4 != 0 ? letters.0 : UInt8(ascii: "-"))
            buffer.writeInteger(bits & 0o2 != 0 ? letters.1 : UInt8(ascii: "-"))
            buffer.writeInteger(bits & 0o1 != 0 ? letters.2 : UInt8(ascii: "-"))
        }
        buffer.writeStaticString(" 1 ftp ftp ")
        buffer.writeDecimal(info.size, width: 12, padding: UInt8(ascii: " "))
        buffer.writeInteger(UInt8(ascii: " "))
        FTPTimestamp.writeListStyle(info.modified, now: now, into: &buffer)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(info.name)
    }

    /// The facts of RFC 3659 §7 for one entry, in the order the client asked for (`OPTS MLST`).
    package static func facts(
        _ info: FTPFileInfo, enabled: [MachineListFact], permissions: FTPPermissions, name: String
    ) -> String {
        var buffer = ByteBuffer()
        self.writeFacts(info, enabled: enabled, permissions: permissions, name: name, into: &buffer)
        return String(buffer: buffer)
    }

    /// ``facts(_:enabled:permissions:name:)`` written straight into `buffer`, as MLSD sends them.
    package static func writeFacts(
        _ info: FTPFileInfo, enabled: [MachineListFact], permissions: FTPPermissions, name: String,
        into buffer: inout ByteBuffer
    ) {
        for fact in enabled {
            switch fact {
            case .type:
                switch info.kind {
                case .file: buffer.writeStaticString("type=file;")
                case .directory: buffer.writeStaticString("type=dir;")
                case .symbolicLink: buffer.writeStaticString("type=OS.unix=symlink;")
                // RFC 3659 §7.5.1's form for a type of one system: a client that does not know it leaves the entry be.
                case .special(let letter):
                    buffer.writeStaticString("type=OS.unix=")
                    buffer.writeStaticString(letter == "p" ? "fifo;" : letter == "s" ? "socket;" : letter == "b" ? "blockdevice;" : "chardevice;")
                }
            case .size:
                guard info.kind.hasByteSize else { continue }
                buffer.writeStaticString("size=")
                buffer.writeDecimal(info.size, width: 1, padding: UInt8(ascii: " "))
                buffer.writeInteger(UInt8(ascii: ";"))
            case .modify:
                buffer.writeStaticString("modify=")
                FTPTimestamp.write(info.modified, fractional: true, into: &buffer)
                buffer.writeInteger(UInt8(ascii: ";"))
            case .perm:
                buffer.writeStaticString("perm=")
                self.writePermissionLetters(info, permissions, into: &buffer)
                buffer.writeInteger(UInt8(ascii: ";"))
            case .unique:
                guard let unique = info.uniqueID else { continue }
                buffer.writeStaticString("unique=")
                buffer.writeString(unique)
                buffer.writeInteger(UInt8(ascii: ";"))
            }
        }
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(name)
    }

    /// RFC 3659 §7.5.5's letters for what `p` lets the user do with the entry.
    static func writePermissionLetters(_ info: FTPFileInfo, _ p: FTPPermissions, into buffer: inout ByteBuffer) {
        if info.kind == .directory {
            if p.contains(.write) { buffer.writeStaticString("c") }
            if p.contains(.delete) { buffer.writeStaticString("d") }
            if p.contains(.read) { buffer.writeStaticString("el") }
            if p.contains(.rename) { buffer.writeStaticString("f") }
            if p.contains(.makeDirectory) { buffer.writeStaticString("m") }
            if p.contains(.delete) { buffer.writeStaticString("p") }
        } else {
            if p.contains(.write) { buffer.writeStaticString("a") }
            if p.contains(.delete) { buffer.writeStaticString("d") }
            if p.contains(.rename) { buffer.writeStaticString("f") }
            if p.contains(.read) { buffer.writeStaticString("r") }
            if p.contains(.write) { buffer.writeStaticString("w") }
        }
    }
}

/// The facts this server can report in `MLSD`/`MLST` (RFC 3659 §7.5).
package enum MachineListFact: String, Sendable, CaseIterable {
    case type, size, modify, perm, unique
}

extension ByteBuffer {
    /// `value` in decimal, right-aligned in `width` bytes of `padding` (wider values take the room they need).
    mutating func writeDecimal(_ value: UInt64, width: Int, padding: UInt8) {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let total = max(width, digits)
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { bytes in
            var v = value
            var i = total - 1
            repeat {
                bytes[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                i -= 1
            } while v > 0
            while i >= 0 {
                bytes[i] = padding
                i -= 1
            }
            return total
        }
    }
}
