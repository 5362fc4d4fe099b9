import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// Set when the background work should stop.
private final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    var isSet: Bool { lock.withLock { stopped } }
    func set() { lock.withLock { stopped = true } }
}

@Suite("Determinism does not depend on what else the process does")
struct ConcurrentDeterminismTests {
    @Test("the same data and seed give the same artifact bytes while another task runs parallel loops")
    func artifactUnderConcurrentWork() async throws {
        let t = TransformBehaviourTests()
        let custom = CustomStage("od_sq", output: { input in try Schema(input.fields + [Field("od_sq", .double)]) }) { frame in
            let od = try frame.doubles("od280/od315_of_diluted_wines")
            return try frame.setting("od_sq", to: .double(od.map { Optional($0 * $0) }))
        }
        let frame = try t.wineFrame()
        let pipeline = t.transformPipeline(custom)
        let reference = try Artifact.encode(pipeline.fit(frame, seed: 5), key: nil)
        // Another fit's parallel loops switch OpenBLAS to one thread while they run; LAPACK
        // factorisations must not give other bits because of it.
        let stop = StopFlag()
        let noise = Task.detached {
            var rng = SeededGenerator(seed: 1)
            var x = Matrix<Double>.normal(rows: 400_000, columns: 8, using: &rng)
            while !stop.isSet { x.apply(.exp); x.apply(.log) }
        }
        var differing = 0
        for _ in 0..<12 where try Artifact.encode(pipeline.fit(frame, seed: 5), key: nil) != reference { differing += 1 }
        stop.set()
        _ = await noise.value
        #expect(differing == 0, "\(differing) of 12 fits gave other bytes")
    }
}
