/// The ports a passive listener tries, in random order, at most ``limit`` of them.
///
/// Drawn one at a time, only as binds fail: the first port is free almost always, and shuffling the whole range
/// first cost one `getrandom` system call per port of it (Swift's `SystemRandomNumberGenerator` makes one per
/// number). With a range of 20,000 ports, as operators behind NAT configure, that was 11 ms of CPU per PASV and a
/// tenth of the transfers per second (Docs/benchmarks.md).
struct PassivePortPicker<Generator: RandomNumberGenerator>: IteratorProtocol {
    /// Ports tried at most per listener before giving up.
    static var limit: Int { 64 }

    private let range: ClosedRange<Int>?
    private(set) var generator: Generator
    private var tried: Set<Int> = []

    /// Ports of `range`, or only port 0 (any port, chosen by the kernel) when `range` is `nil`.
    init(range: ClosedRange<Int>?, generator: Generator) {
        self.range = range
        self.generator = generator
    }

    /// The next port to try, never one tried before; `nil` after ``limit`` ports, or every port of a smaller range.
    mutating func next() -> Int? {
        guard let range = self.range else {
            guard self.tried.isEmpty else { return nil }
            self.tried.insert(0)
            return 0
        }
        guard self.tried.count < min(Self.limit, range.count) else { return nil }
        // Redrawn on a repeat: even for a small range, only a busy server (most ports taken) redraws much.
        while true {
            let port = Int.random(in: range, using: &self.generator)
            if self.tried.insert(port).inserted { return port }
        }
    }
}

extension PassivePortPicker where Generator == SystemRandomNumberGenerator {
    init(range: ClosedRange<Int>?) {
        self.init(range: range, generator: SystemRandomNumberGenerator())
    }
}
