import Foundation
import Synchronization
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceNeural
import SluiceTestSupport

@Suite("Backup and restore of an interrupted training run")
struct NeuralBackupTests {
    /// A network with dropout (the forward generator), validation rows (the split), a plateau
    /// schedule, early stopping that restores the best weights and a best checkpoint: every
    /// piece of state a resumed run must get back.
    static func pipeline(epochs: Int, directory: String, backup: Backup) -> Pipeline<NeuralClassifier> {
        let options = TrainingOptions(epochs: epochs, batchSize: 16, optimizer: .adam(learningRate: 0.01), validationFraction: 0.2,
                                      earlyStopping: EarlyStopping(patience: 50, restoreBestWeights: true),
                                      schedule: .reduceOnPlateau(factor: 0.5, patience: 1, minimum: 1e-4),
                                      checkpoint: Checkpoint(directory: directory + "/checkpoints"), backup: backup)
        let learner = NeuralClassifier(training: options) {
            Dense(16, activation: .relu)
            Dropout(0.2)
            Dense(3)
        }
        return Pipeline(target: "target", estimator: learner) { StandardScaler() }
    }

    /// Cancels the fit once the observer has seen epoch `epoch` end.
    final class StopAfter: Sendable {
        let epoch: Int
        let seen = Mutex(0)
        init(epoch: Int) { self.epoch = epoch }
        func observe(_ p: FitProgress) { if p.unit == .epoch { seen.withLock { $0 = max($0, p.step) } } }
        var stop: Bool { seen.withLock { $0 >= epoch } }
    }

    static func interrupted(_ pipeline: Pipeline<NeuralClassifier>, _ frame: Frame, seed: UInt64, after epoch: Int) {
        let stop = StopAfter(epoch: epoch)
        #expect(throws: FitCancelled.self) {
            try pipeline.fit(frame, seed: seed, observer: { stop.observe($0) }, isCancelled: { stop.stop })
        }
    }

    /// Rewrites the backup's JSON state with `edit` and seals it with a fresh checksum (the
    /// file layout of `TrainingBackupFile`: magic, version, JSON length, tensor count, JSON,
    /// tensors, 64 hex digits of SHA-256).
    static func rewriteBackup(at url: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        func u64(_ at: Int) -> Int { bytes[at..<(at + 8)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } }
        let length = u64(12), json = Data(bytes[28..<(28 + length)])
        var record = try JSONSerialization.jsonObject(with: json) as! [String: Any]
        var state = record["state"] as! [String: Any]
        edit(&state)
        record["state"] = state
        let edited = [UInt8](try JSONSerialization.data(withJSONObject: record))
        var body = Array(bytes[0..<12])
        withUnsafeBytes(of: UInt64(edited.count).littleEndian) { body += $0 }
        body += bytes[20..<28] + edited + bytes[(28 + length)..<(bytes.count - 64)]
        try Data(body + Array(Artifact.digest(of: body).utf8)).write(to: url)
    }

    @Test("a run cancelled after epoch 3 of 7 and fitted again ends with the same network, history and best checkpoint as an uninterrupted run; a finished run's backup is not resumed")
    func resumeIsExact() throws {
        let frame = try NeuralLearnerTests.iris()
        let root = try Fixtures.temporaryDirectory("neural-backup").path
        let whole = Self.pipeline(epochs: 7, directory: root + "/whole", backup: Backup(directory: root + "/whole"))
        let expected = try whole.fit(frame, seed: 9)
        let again = try whole.fit(frame, seed: 9)
        #expect(try again.predictProbabilities(frame) == expected.predictProbabilities(frame),
                "after a finished run the next fit trains from the first epoch")

        let backup = Backup(directory: root + "/resumed")
        let resumed = Self.pipeline(epochs: 7, directory: root + "/resumed", backup: backup)
        Self.interrupted(resumed, frame, seed: 9, after: 3)
        #expect(FileManager.default.fileExists(atPath: backup.url.path), "the backup of epoch 3 stays for the next run")

        let fitted = try resumed.fit(frame, seed: 9)
        #expect(try resumed.fit(frame, seed: 9).predictProbabilities(frame) == expected.predictProbabilities(frame),
                "the resumed run's backup is marked finished: fitting again starts afresh")
        let a = try expected.model(as: NeuralClassifier.Model.self), b = try fitted.model(as: NeuralClassifier.Model.self)
        #expect(b.history == a.history)
        #expect(b.history.epochs.count == 7)
        #expect(try fitted.predictProbabilities(frame) == expected.predictProbabilities(frame))
        let codec = ArtifactCodec.pipelineStages.adding(models: ArtifactCodec.neuralModelKinds)
        let bestA = try Artifact.load(from: URL(fileURLWithPath: root + "/whole/checkpoints/best.sluice"), codec: codec)
        let bestB = try Artifact.load(from: URL(fileURLWithPath: root + "/resumed/checkpoints/best.sluice"), codec: codec)
        #expect(try bestB.predictProbabilities(frame) == bestA.predictProbabilities(frame))
    }

    @Test("a backup of another run (another seed), a damaged or a crafted one, or a directory in its place is refused, naming the file; training does not silently restart")
    func refused() throws {
        let frame = try NeuralLearnerTests.iris()
        let root = try Fixtures.temporaryDirectory("neural-backup").path + "/refused"
        let backup = Backup(directory: root)
        let pipeline = Self.pipeline(epochs: 5, directory: root, backup: backup)
        Self.interrupted(pipeline, frame, seed: 1, after: 2)
        #expect(throws: NeuralError.backupMismatch(path: backup.url.path,
                                                   reason: "it was written by another run (other options, layers, rows or seed)")) {
            try pipeline.fit(frame, seed: 2)
        }
        var bytes = [UInt8](try Data(contentsOf: backup.url))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: backup.url)
        #expect(throws: NeuralError.backupMismatch(path: backup.url.path,
                                                   reason: "its checksum does not match: the file is damaged or truncated")) {
            try pipeline.fit(frame, seed: 1)
        }
        #expect(FileManager.default.fileExists(atPath: backup.url.path), "a refused backup is left for the user to look at")
        // A crafted backup (valid checksum, the right fingerprint) whose row order points past the rows.
        try FileManager.default.removeItem(at: backup.url)
        Self.interrupted(pipeline, frame, seed: 1, after: 2)
        try Self.rewriteBackup(at: backup.url) { state in
            var order = state["order"] as! [Int]
            order[0] = 1_000_000
            state["order"] = order
        }
        #expect(throws: NeuralError.backupMismatch(path: backup.url.path, reason: "its state does not fit this run's layers and rows")) {
            try pipeline.fit(frame, seed: 1)
        }
        // A directory where the backup file goes is refused by the atomic writer, and left as it is.
        let occupied = Backup(directory: root + "/occupied")
        try FileManager.default.createDirectory(atPath: occupied.url.path, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: occupied.url.appendingPathComponent("keep"))
        let error = #expect(throws: NeuralError.self) {
            try Self.pipeline(epochs: 3, directory: root + "/occupied", backup: occupied).fit(frame, seed: 1)
        }
        guard case .backupMismatch(let path, _)? = error else { Issue.record("expected backupMismatch, got \(String(describing: error))"); return }
        #expect(path == occupied.url.path)
        #expect(FileManager.default.fileExists(atPath: occupied.url.appendingPathComponent("keep").path))
        #expect(throws: NeuralError.invalidConfiguration(component: "training", name: "backup", reason: "every must be ≥ 1, got 0")) {
            try Self.pipeline(epochs: 2, directory: root, backup: Backup(directory: root, every: 0)).fit(frame)
        }
    }
}
