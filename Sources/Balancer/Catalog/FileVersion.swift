/// Version strings for files: links and caches name a version, not only a name.
enum FileVersion {
    /// A random 64-bit value in hex.
    static func make() -> String { String(UInt64.random(in: 1...UInt64.max), radix: 16) }
}
