import Foundation
import NIOCore
import SeedTestSupport
import Testing

@testable import FTPKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPListFormatterTests {
    static let now = Date(timeIntervalSince1970: 1_796_558_400)  // 2026-12-06 12:00:00 UTC

    /// The lines `ls -l` prints, which every client's LIST parser expects: recent files with the time, older or
    /// future ones with the year, sizes right-aligned in 12 columns (wider ones take their room), only the nine
    /// permission bits.
    @Test(arguments: [
        (FTPFileInfo(name: "a.txt", kind: .file, size: 5, modified: Date(timeIntervalSince1970: 1_796_521_500), mode: 0o644),
         "-rw-r--r-- 1 ftp ftp            5 Dec  6 01:45 a.txt"),
        (FTPFileInfo(name: "sub dir", kind: .directory, size: 4096, modified: Date(timeIntervalSince1970: 1_583_020_740), mode: 0o755),
         "drwxr-xr-x 1 ftp ftp         4096 Feb 29  2020 sub dir"),
        (FTPFileInfo(name: "l", kind: .symbolicLink, size: 12, modified: Date(timeIntervalSince1970: 1_796_558_400 - 179 * 86400), mode: 0o4777),
         "lrwxrwxrwx 1 ftp ftp           12 Jun 10 12:00 l"),
        (FTPFileInfo(name: "big", kind: .file, size: 1_234_567_890_123, modified: Date(timeIntervalSince1970: 1_796_558_400 - 181 * 86400), mode: 0o600),
         "-rw------- 1 ftp ftp 1234567890123 Jun  8  2026 big"),
        (FTPFileInfo(name: "soon", kind: .file, size: 0, modified: Date(timeIntervalSince1970: 1_796_558_400 + 3600), mode: 0o640),
         "-rw-r----- 1 ftp ftp            0 Dec  6 13:00 soon"),
        (FTPFileInfo(name: "later", kind: .file, size: 0, modified: Date(timeIntervalSince1970: 1_796_558_400 + 2 * 86400), mode: 0o000),
         "---------- 1 ftp ftp            0 Dec  8  2026 later"),
        (FTPFileInfo(name: "é", kind: .file, size: 999_999_999_999, modified: Date(timeIntervalSince1970: 0), mode: 0o777),
         "-rwxrwxrwx 1 ftp ftp 999999999999 Jan  1  1970 é"),
    ])
    func longLines(_ info: FTPFileInfo, _ expected: String) {
        #expect(FTPListFormatter.longLine(info, now: Self.now) == expected)
    }

    @Test func decimalsAreRightAligned() {
        for (value, width, expected) in [(0 as UInt64, 3, "  0"), (7, 2, "07"), (12_345, 2, "12345"), (.max, 1, "18446744073709551615")] {
            var buffer = ByteBuffer()
            buffer.writeDecimal(value, width: width, padding: width == 2 && value < 10 ? UInt8(ascii: "0") : UInt8(ascii: " "))
            #expect(String(buffer: buffer) == expected)
        }
    }
}

extension FTPListFormatterTests {
    /// RFC 3659 facts in the order asked, with the permission letters the user's rights give.
    @Test func machineFacts() {
        let file = FTPFileInfo(
            name: "a b.txt", kind: .file, size: 1234, modified: Date(timeIntervalSince1970: 1_709_209_496.25), mode: 0o644,
            uniqueID: "fd00U1a")
        let all = MachineListFact.allCases
        #expect(FTPListFormatter.facts(file, enabled: all, permissions: .all, name: file.name)
            == "type=file;size=1234;modify=20240229122456.250;perm=adfrw;unique=fd00U1a; a b.txt")
        #expect(FTPListFormatter.facts(file, enabled: [.modify, .type], permissions: .readOnly, name: "/x/a b.txt")
            == "modify=20240229122456.250;type=file; /x/a b.txt")
        let dir = FTPFileInfo(name: "d", kind: .directory, size: 4096, modified: Date(timeIntervalSince1970: 0), mode: 0o755)
        #expect(FTPListFormatter.facts(dir, enabled: all, permissions: .all, name: "d")
            == "type=dir;modify=19700101000000;perm=cdelfmp; d")
        #expect(FTPListFormatter.facts(dir, enabled: [.perm, .size], permissions: .readOnly, name: "d") == "perm=el; d")
        let link = FTPFileInfo(name: "l", kind: .symbolicLink, size: 3, modified: Date(timeIntervalSince1970: 0), mode: 0o777)
        #expect(FTPListFormatter.facts(link, enabled: [.type], permissions: .all, name: "l") == "type=OS.unix=symlink; l")
    }
}
