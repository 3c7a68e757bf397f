package import Foundation

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
        let type: Character = info.kind == .directory ? "d" : info.kind == .symbolicLink ? "l" : "-"
        var perms = String(type)
        let letters: [Character] = ["r", "w", "x"]
        for shift in stride(from: 6, through: 0, by: -3) {
            for (i, letter) in letters.enumerated() {
                perms.append((info.mode >> UInt16(shift + 2 - i)) & 1 == 1 ? letter : "-")
            }
        }
        let size = String(info.size)
        let sizeField = size.count >= 12 ? size : String(repeating: " ", count: 12 - size.count) + size
        return "\(perms) 1 ftp ftp \(sizeField) \(FTPTimestamp.listStyle(info.modified, now: now)) \(info.name)"
    }

    /// The facts of RFC 3659 §7 for one entry, in the order the client asked for (`OPTS MLST`).
    package static func facts(
        _ info: FTPFileInfo, enabled: [MachineListFact], permissions: FTPPermissions, name: String
    ) -> String {
        var out = ""
        for fact in enabled {
            switch fact {
            case .type: out += "type=\(info.kind == .directory ? "dir" : info.kind == .symbolicLink ? "OS.unix=symlink" : "file");"
            case .size: if info.kind != .directory { out += "size=\(info.size);" }
            case .modify: out += "modify=\(FTPTimestamp.format(info.modified, fractional: true));"
            case .perm: out += "perm=\(permissionLetters(info, permissions));"
            case .unique: if let u = info.uniqueID { out += "unique=\(u);" }
            }
        }
        return out + " " + name
    }

    static func permissionLetters(_ info: FTPFileInfo, _ p: FTPPermissions) -> String {
        var s = ""
        if info.kind == .directory {
            if p.contains(.write) { s += "c" }
            if p.contains(.delete) { s += "d" }
            if p.contains(.read) { s += "el" }
            if p.contains(.rename) { s += "f" }
            if p.contains(.makeDirectory) { s += "m" }
            if p.contains(.delete) { s += "p" }
        } else {
            if p.contains(.write) { s += "a" }
            if p.contains(.delete) { s += "d" }
            if p.contains(.rename) { s += "f" }
            if p.contains(.read) { s += "r" }
            if p.contains(.write) { s += "w" }
        }
        return s
    }
}

/// The facts this server can report in `MLSD`/`MLST` (RFC 3659 §7.5).
package enum MachineListFact: String, Sendable, CaseIterable {
    case type, size, modify, perm, unique
}
