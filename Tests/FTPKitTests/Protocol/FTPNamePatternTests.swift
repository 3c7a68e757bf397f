import SeedTestSupport
import Testing

@testable import FTPKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPNamePatternTests {
    @Test func onlyNamesWithPatternCharactersArePatterns() {
        #expect(FTPNamePattern("a.txt") == nil)
        #expect(FTPNamePattern("") == nil)
        #expect(FTPNamePattern("{a,b}.txt") == nil, "braces are a shell's, not fnmatch's")
        #expect(FTPNamePattern("*.txt") != nil && FTPNamePattern("a?") != nil && FTPNamePattern("[ab]") != nil)
    }

    @Test(arguments: [
        ("*.txt", "a.txt", true), ("*.txt", "a.txt.bak", false), ("*.txt", ".hidden.txt", false),
        (".*", ".hidden.txt", true), ("?.txt", "ab.txt", false), ("?.txt", "é.txt", true),
        ("[ab]*", "b1", true), ("[!ab]*", "b1", false), ("[a-c].bin", "c.bin", true), ("*", "sp ace", true),
        ("x[1].txt", "x[1].txt", false), ("x[1].txt", "x1.txt", true), ("\\*", "*", true), ("*", "", true),
        // Backslashes as fnmatch reads them (found by the name-pattern fuzz target): one that ends the pattern
        // matches nothing, and inside a set one quotes the next character.
        ("*\\", "*\\", false), ("a*\\", "ab\\", false), ("[\\]]*", "]x", true), ("[a\\-z]", "-", true),
        ("[a\\-z]", "b", false), ("[a-\\z]", "m", true), ("[\\\\]", "\\", true),
        // An unclosed set is plain characters, unless a range is cut off in it: then nothing matches (fnmatch).
        ("x[a", "x[a", true), ("[-", "[-", true), ("*[*-", "[*-", false), ("x[a-", "x[a-", false),
        ("*[[[[-", "[[[[-", true), ("[a[-", "[a[-", true), ("[[a-", "[[a-", false),
    ])
    func matchesAsAShellDoes(_ pattern: String, _ name: String, _ expected: Bool) throws {
        #expect(try #require(FTPNamePattern(pattern)).matches(name) == expected)
    }

    @Test func theTypedDirectoryIsTheArgumentUpToItsLastSlash() {
        #expect(FTPSessionStateMachine.typedDirectory("pub/*.txt") == "pub/")
        #expect(FTPSessionStateMachine.typedDirectory("/a/b/c*") == "/a/b/")
        #expect(FTPSessionStateMachine.typedDirectory("*.txt") == "")
        #expect(FTPSessionStateMachine.typedDirectory("") == "")
    }
}

extension FTPNamePatternTests {
    /// The same answers as the C library's fnmatch(3) with FNM_PERIOD (run through Python's ctypes), for patterns
    /// and names drawn at random from a small alphabet that makes matches likely. The names are ASCII: glibc's
    /// fnmatch counts "é" as one character or two depending on the pattern (`?` and `??` both match it, in a
    /// UTF-8 locale too), which is why the pattern is matched in Swift.
    @Test func agreesWithTheCLibrary() async throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "b", ".", "*", "?", "[", "]", "!", "-", "\\", "é"]
        var cases: [(String, String)] = []
        for _ in 0..<400 {
            let pattern = String((0..<Int.random(in: 1...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let name = String((0..<Int.random(in: 0...5, using: &rng)).map { _ in "ab.-".randomElement(using: &rng)! })
            if FTPNamePattern(pattern) != nil { cases.append((pattern, name)) }
        }
        let python = try requireTool("python3", package: "python3")
        let input = cases.map { "\($0.0)\t\($0.1)" }.joined(separator: "\n")
        let r = try await runProcess(python, ["-c", """
            import ctypes, locale, sys
            locale.setlocale(locale.LC_ALL, "C.UTF-8")
            libc = ctypes.CDLL(None)
            for line in sys.stdin.read().split("\\n"):
                p, n = line.split("\\t")
                print(1 if libc.fnmatch(p.encode(), n.encode(), 4) == 0 else 0)
            """], stdin: input)
        let expected = r.stdout.split(separator: "\n").map { $0 == "1" }
        #expect(expected.count == cases.count, "\(r)")
        for (i, (pattern, name)) in cases.enumerated() where i < expected.count {
            #expect(FTPNamePattern(pattern)!.matches(name) == expected[i], "pattern \(pattern) name \(name)")
        }
    }
}

extension FTPNamePatternTests {
    /// POSIX classes, equivalence classes and collating symbols inside sets (`[[:digit:]]*`, as `ls` users type),
    /// against the C library's fnmatch(3) for every printable ASCII character and tab, alone and in a negated set.
    @Test func classesAgreeWithTheCLibrary() async throws {
        let classes = ["alpha", "digit", "alnum", "upper", "lower", "space", "blank", "punct", "cntrl", "print", "graph", "xdigit"]
        var patterns = classes.flatMap { ["[[:\($0):]]", "[![:\($0):]]"] }
        patterns += ["[[=a=]]", "[[.-.]]", "[x[:digit:]y]", "[[:upper:][:digit:]]", "[[:nosuch:]]", "[![:nosuch:]]"]
        let names = (0x20..<0x7F).map { String(UnicodeScalar(UInt8($0))) } + ["\t"]
        let cases = patterns.flatMap { p in names.map { (p, $0) } }
        let python = try requireTool("python3", package: "python3")
        let r = try await runProcess(python, ["-c", """
            import ctypes, sys
            libc = ctypes.CDLL(None)
            for line in sys.stdin.read().split("\\n"):
                p, n = line.split("\\x01")
                print(1 if libc.fnmatch(p.encode(), n.encode(), 4) == 0 else 0)
            """], stdin: cases.map { "\($0.0)\u{1}\($0.1)" }.joined(separator: "\n"))
        let expected = r.stdout.split(separator: "\n").map { $0 == "1" }
        try #require(expected.count == cases.count, "\(r)")
        for (i, (pattern, name)) in cases.enumerated() {
            #expect(FTPNamePattern(pattern)!.matches(name) == expected[i], "pattern \(pattern) name \(name.debugDescription)")
        }
        // Beyond ASCII, over characters: a letter is a letter.
        #expect(FTPNamePattern("[[:alpha:]]*")!.matches("été"))
        #expect(!FTPNamePattern("[[:digit:]]")!.matches("٣"), "POSIX digits are ASCII's")
    }
}
