import FuzzTargets
import Foundation

// Built two ways (see scripts/fuzz):
// - with `-sanitize=fuzzer,address -D FUZZING`: libFuzzer's own main drives `LLVMFuzzerTestOneInput`, on the
//   target named by SEED_FUZZ_TARGET;
// - normally: a replayer, `seed-fuzz TARGET FILE...`, that runs inputs through a target once each (for a
//   crash found elsewhere).

#if FUZZING
private let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["SEED_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        fatalError("set SEED_FUZZ_TARGET to one of: \(names)")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
#else
@main
struct SeedFuzz {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("usage: seed-fuzz TARGET FILE...  (targets: \(names))\n".utf8))
            exit(2)
        }
        for path in arguments.dropFirst() {
            target.run(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        }
    }
}
#endif
