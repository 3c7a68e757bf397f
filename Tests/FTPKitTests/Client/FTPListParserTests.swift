import Foundation
import Testing
import SeedTestSupport

@testable import FTPKit

/// Listing lines as real servers send them.
@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPListParserTests {
    let now = FTPTimestamp.parse("20261125120000")!

    func parse(_ line: String) -> FTPListEntry? { FTPListParser.parseList(line, now: now) }

    @Test func vsftpd() throws {
        let e = try #require(parse("-rw-r--r--    1 1000     1000       123456 Nov 20 16:35 report.pdf"))
        #expect(e.name == "report.pdf" && e.kind == .file && e.size == 123456 && e.permissions == "rw-r--r--")
        #expect(e.modified == FTPTimestamp.parse("20261120163500"))
        let d = try #require(parse("drwxr-xr-x    2 0        0            4096 Jan 01  2023 pub"))
        #expect(d.kind == .directory && d.modified == FTPTimestamp.parse("20230101000000"))
        let l = try #require(parse("lrwxrwxrwx    1 0        0               7 Mar 03  2024 latest -> v1.2.3"))
        #expect(l.name == "latest" && l.kind == .symbolicLink(target: "v1.2.3"))
    }

    @Test func proftpdWithSpacesInNames() throws {
        let e = try #require(parse("-rw-r--r--   1 ftp      ftp          1024 Mar  1 10:11 a file  with spaces.txt"))
        #expect(e.name == "a file  with spaces.txt" && e.size == 1024)
        let lead = try #require(parse("-rw-r--r--   1 ftp      ftp             3 Mar  1 10:11  leading space"))
        #expect(lead.name == " leading space")
        // A date later than now (in "recent" form) belongs to last year.
        let old = try #require(parse("-rw-r--r--   1 ftp      ftp             3 Dec 24 10:11 xmas"))
        #expect(old.modified == FTPTimestamp.parse("20251224101100"))
    }

    @Test func pureFtpdAndBusyboxAndOddOwners() throws {
        #expect(parse("-rw-r--r--    1 1000       1000             5 Nov 25 11:35 x")?.size == 5)
        #expect(parse("-rw-r--r--    1 0        0               12 Nov 25 11:35 hello.txt")?.name == "hello.txt")
        // No group column.
        #expect(parse("-rw-r--r--  1 user  77 Nov 25 11:35 nogroup")?.size == 77)
        // Owner names with spaces are rare but do appear (Windows servers in Unix mode).
        #expect(parse("-rw-r--r--  1 Domain Users  group 99 Nov 25 11:35 f")?.size == 99)
        #expect(parse("crw-rw-rw-    1 0        0          1,   3 Jan 01  2020 null")?.kind == .unparsed || parse("crw-rw-rw-    1 0        0          1,   3 Jan 01  2020 null")?.kind == .other)
    }

    @Test func nonASCIINames() throws {
        #expect(parse("-rw-r--r--    1 ftp ftp     9 Nov 25 11:35 résumé 名前.txt")?.name == "résumé 名前.txt")
        // A name that starts with a combining mark: the space before it is still the one that ends the time (before,
        // Swift folded them into one Character and the line did not parse, so such a file vanished from listings).
        let marked = try #require(parse("-rw-r--r--    1 ftp ftp     9 Nov 25 11:35 \u{301}x y"))
        #expect(marked.name == "\u{301}x y" && marked.size == 9 && marked.kind == .file)
        #expect(parse("11-25-26  04:35PM                  123 \u{301}dos.txt")?.name == "\u{301}dos.txt")
        #expect(parse("lrwxrwxrwx    1 ftp ftp     9 Nov 25 11:35 \u{301}l -> \u{301}t")?.kind == .symbolicLink(target: "\u{301}t"))
    }

    @Test func iisDOSFormat() throws {
        let f = try #require(parse("11-25-26  04:35PM                  123 file name.txt"))
        #expect(f.name == "file name.txt" && f.size == 123 && f.kind == .file)
        #expect(f.modified == FTPTimestamp.parse("20261125163500"))
        let d = try #require(parse("01-02-2024  12:05AM       <DIR>          My Dir"))
        #expect(d.name == "My Dir" && d.kind == .directory && d.modified == FTPTimestamp.parse("20240102000500"))
        #expect(parse("11-25-26  04:35PM            1,234,567 big.iso")?.size == 1_234_567)
    }

    @Test func eplf() throws {
        let f = try #require(parse("+i8388621.29609,m824255902,r,s6151,\tREADME"))
        #expect(f.name == "README" && f.size == 6151 && f.kind == .file)
        #expect(f.modified == Date(timeIntervalSince1970: 824_255_902))
        #expect(parse("+i8388621.44468,m839956783,/,\tpub")?.kind == .directory)
    }

    /// Numbers no file or date can have (a broken or hostile server's) are no size and no date, so nothing downstream
    /// does arithmetic on them: a size past 2^63 − 1, a year past 9999, a 25th hour, EPLF seconds past year 9999.
    @Test func impossibleSizesAndDatesAreLeftOut() throws {
        let huge = try #require(parse("-rw-r--r--    1 ftp      ftp      99999999999999999999 Nov 20 10:00 huge.bin"))
        #expect(huge.name == "huge.bin" && huge.size == nil)
        let largest = try #require(parse("-rw-r--r--    1 ftp      ftp      9223372036854775807 Nov 20 10:00 max.bin"))
        #expect(largest.size == UInt64(Int64.max))
        #expect(parse("-rw-r--r--    1 ftp      ftp      5 Nov 20  999999999 far.bin")?.modified == nil)
        #expect(parse("-rw-r--r--    1 ftp      ftp      5 Nov 20 25:00 late.bin")?.modified == nil)
        #expect(parse("-rw-r--r--    1 ftp      ftp      5 Nov 20 10:99 late.bin")?.modified == nil)
        #expect(FTPListParser.parseMachine("type=file;size=18446744073709551615; m.bin")?.size == nil)
        let eplf = try #require(parse("+m99999999999999999,s99999999999999999999,r,\tx"))
        #expect(eplf.modified == nil && eplf.size == nil)
        #expect(parse("+m1e300,r,\ty")?.modified == nil)
    }

    @Test func linesThatAreNotEntries() {
        #expect(parse("total 48") == nil)
        #expect(parse("") == nil)
        let garbage = parse("this is not a listing line")
        #expect(garbage?.kind == .unparsed && garbage?.name == "this is not a listing line")
        #expect(parse("-rw-r--r-- short")?.kind == .unparsed)
        #expect(parse("drwx------ 2 a b 4096 Foo 99 12:00 x")?.kind == .unparsed)
    }

    @Test func machineListing() throws {
        let e = try #require(FTPListParser.parseMachine("type=file;size=42;modify=20240102030405.5;perm=adfrw; my file.txt"))
        #expect(e.name == "my file.txt" && e.size == 42 && e.kind == .file && e.permissions == "adfrw")
        #expect(e.modified == FTPTimestamp.parse("20240102030405.5"))
        #expect(FTPListParser.parseMachine("Type=dir;Modify=20240102030405; sub")?.kind == .directory)
        #expect(FTPListParser.parseMachine("type=OS.unix=slink:/target; l")?.kind == .symbolicLink(target: "/target"))
        #expect(FTPListParser.parseMachine("type=file;size=1;  leading")?.name == " leading")
        #expect(FTPListParser.parseMachine("garbage")?.kind == .unparsed)
        // Found by fuzzing: facts, a space and no name is not an entry named "".
        #expect(FTPListParser.parseMachine("type=dir;modify=20240101; ")?.kind == .unparsed)
    }

    /// A whole listing as the data connection brings it: lines ended by CRLF or LF (and stray CRs), empty lines and
    /// the directory itself and its parent left out, any case in the facts, a name that only looks like a `cdir`
    /// fact kept, text that is not UTF-8 replaced rather than lost, and every line read as the line parser reads it.
    @Test func wholeListings() throws {
        let text = "type=cdir;modify=20240101000000; /x\r\nTYPE=PDIR; ..\r\n"
            + "type=file;size=3;modify=20240102030405; a b.txt\r\n\r\n"
            + "type=file;size=5; type=cdir.txt\n"
            + "Type=Dir;Modify=20231231235960; sub\r\r\n"
            + "type=file;size=1; caf\u{E9} \u{1F600}\r\n"
            + "type=file;size=2; bad\u{FF}name\r\n"
            + "garbage"
        var bytes = Array(text.utf8)
        let bad = try #require(bytes.firstIndex(of: 0xC3).flatMap { i in bytes[(i + 1)...].firstIndex(of: 0xC3) })
        bytes[bad] = 0xFF  // "ÿ" is C3 BF: make it an invalid lead byte
        let entries = bytes.withUnsafeBytes { FTPListParser.parseListing($0, machine: true) }
        #expect(entries.map(\.name) == ["a b.txt", "type=cdir.txt", "sub", "caf\u{E9} \u{1F600}", "bad\u{FFFD}\u{FFFD}name", "garbage"])
        #expect(entries[0].size == 3 && entries[0].modified == FTPTimestamp.parse("20240102030405"))
        #expect(entries[2].kind == .directory && entries[2].modified == FTPTimestamp.parse("20240101000000"), "a 60th second")
        #expect(entries[5].kind == .unparsed)
        for entry in entries { #expect(FTPListParser.parseMachine(entry.raw) == entry, "\(entry.raw)") }
        let list = "drwxr-xr-x 2 ftp ftp 4096 Jan 02 2024 dir\r\n-rw-r--r-- 1 ftp ftp 12 Jan 03 2024 f g\ntotal 8\r\n"
        let parsed = Array(list.utf8).withUnsafeBytes { FTPListParser.parseListing($0, machine: false, now: now) }
        #expect(parsed.map(\.name) == ["dir", "f g"] && parsed[1].size == 12)
        let names = Array("a b.txt\r\n\r\npub/c.bin\nx\ry\r\r\ncaf\u{E9}".utf8).withUnsafeBytes { FTPListParser.parseNames($0) }
        #expect(names == ["a b.txt", "pub/c.bin", "x\ry", "caf\u{E9}"])
    }
}
