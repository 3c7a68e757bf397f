import Foundation
import FuzzTargets
import Testing
import SeedTestSupport

/// Every input of the committed fuzzing corpus (`Tests/Fuzz/corpus/TARGET/`), the seeds and each finding kept
/// as a regression, runs through its target on every test run: a parser that crashes or breaks an invariant on
/// one of them fails here without a fuzzer.
@Suite(.tags(.unit), .inTestSet(.unit)) struct FuzzRegressionTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    @Test(arguments: FuzzTarget.allCases)
    func theCorpusRunsClean(target: FuzzTarget) throws {
        let directory = Self.corpus.appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(!names.isEmpty, "no seeds for \(target.rawValue)")
        for name in names {
            target.run(Array(try Data(contentsOf: directory.appendingPathComponent(name))))
        }
    }
}
