import Foundation
import SluiceCompute
import SluiceFrame
import SluicePipeline

/// Backup and restore of an interrupted training run (Keras's `BackupAndRestore`).
///
/// After every `every`-th epoch the trainer writes the whole state of the run to
/// `directory/training.sluice-backup` (atomically: the previous backup or the whole new
/// one): the parameters, the optimizer's moments and step count, both random generators,
/// the row order, the history, and the state of early stopping, the plateau schedule and the
/// checkpoints. When training starts and that file holds a backup, the run continues after the
/// backed-up epoch instead of from the first; when it ends (all epochs, or early stopping)
/// the file is replaced, through the same atomic writer, by a record that the run finished,
/// which the next fit ignores (nothing is ever deleted: a directory at that path is refused,
/// not removed). A run killed, cancelled or crashed between epochs therefore loses at
/// most `every` epochs, and a resumed run ends with the same parameters, bit for bit, as one
/// that was never interrupted (same seed, data and options, and the same CPU).
///
/// A backup belongs to one run: the options (all but ``TrainingOptions/epochs``, which may grow),
/// the layers' parameter shapes, the numbers of training and validation rows and the fit's seed
/// are fingerprinted into it, and a backup of another run is refused
/// (``NeuralError/backupMismatch(path:reason:)``) rather than silently continued. A damaged
/// file (its SHA-256 does not match) is refused the same way. Inside a model search every fit
/// would share the file: give each its own directory.
public struct Backup: Sendable, Codable, Equatable {
    /// Where the backup file goes (created when missing).
    public var directory: String
    /// Epochs between backups (1: after every epoch).
    public var every: Int

    public init(directory: String, every: Int = 1) {
        self.directory = directory
        self.every = every
    }

    /// The backup file.
    public var url: URL { URL(fileURLWithPath: directory).appendingPathComponent("training.sluice-backup") }

    func validate() throws {
        func bad(_ reason: String) -> NeuralError { .invalidConfiguration(component: "training", name: "backup", reason: reason) }
        guard !directory.isEmpty else { throw bad("needs a directory") }
        guard every >= 1 else { throw bad("every must be ≥ 1, got \(every)") }
    }
}

/// What the backup file holds: the state of an unfinished run, or nil once the run finished.
struct TrainingBackupRecord: Codable {
    var state: TrainingBackupState?
}

/// Everything a training run needs to continue after epoch ``epochsDone``.
struct TrainingBackupState: Codable {
    var fingerprint: String
    var epochsDone: Int
    var parameters: [Matrix<Float>]
    var optimizer: OptimizerState
    /// The fit context's generator (the shuffles) and the forward passes' (dropout).
    var shuffleGenerator: SeededGenerator
    var forwardGenerator: SeededGenerator
    /// The row order the next shuffle permutes.
    var order: [Int]
    var history: TrainingHistory
    var best: Double
    var bestParameters: [Matrix<Float>]?
    var sinceBest: Int
    var plateauBest: Double
    var sincePlateau: Int
    var plateauScale: Double
    /// The checkpoint writer's best monitored figure.
    var checkpointBest: Double?
}

extension TrainingBackupState {
    /// Whether the decoded state fits a run of `parameters` over `rows` training rows: the
    /// checksum guards against damage, not against a crafted file, so every shape and index
    /// the trainer will use is checked before it is.
    func fits(_ parameters: [Matrix<Float>], rows: Int) -> Bool {
        func sameShapes(_ m: [Matrix<Float>?]) -> Bool {
            m.count == parameters.count && zip(m, parameters).allSatisfy { a, p in a.map { $0.rows == p.rows && $0.columns == p.columns } ?? true }
        }
        guard epochsDone >= 0, self.parameters.count == parameters.count, sameShapes(self.parameters),
              sameShapes(optimizer.first), sameShapes(optimizer.second), optimizer.step >= 0,
              bestParameters.map({ $0.count == parameters.count && sameShapes($0) }) ?? true,
              order.count == rows else { return false }
        var seen = [Bool](repeating: false, count: rows)
        for i in order {
            guard i >= 0, i < rows, !seen[i] else { return false }
            seen[i] = true
        }
        return true
    }
}

/// The backup file: magic `SLUICEBK`, a little-endian `UInt32` format version, the JSON
/// length and tensor count (`UInt64` each), the JSON of a ``TrainingBackupRecord`` (matrices replaced by tensor indices),
/// each tensor as its dtype (4 bytes), byte count (`UInt64`) and bytes, then the SHA-256 of
/// everything before it as 64 hex digits.
enum TrainingBackupFile {
    static let magic = Array("SLUICEBK".utf8)
    static let version: UInt32 = 1

    /// Writes `state` (nil: the run finished) to `url` atomically, creating its directory.
    static func write(_ state: TrainingBackupState?, to url: URL) throws {
        let archive = TensorArchive()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        encoder.userInfo[.sluiceTensors] = archive
        let json = try encoder.encode(TrainingBackupRecord(state: state))
        var bytes = magic
        append(version, to: &bytes)
        append(UInt64(json.count), to: &bytes)
        append(UInt64(archive.tensors.count), to: &bytes)
        bytes += json
        for t in archive.tensors {
            bytes += Array(t.dtype.utf8.prefix(4)) + [UInt8](repeating: 0x20, count: max(0, 4 - t.dtype.utf8.count))
            append(UInt64(t.bytes.count), to: &bytes)
            bytes += t.bytes
        }
        bytes += Array(Artifact.digest(of: bytes).utf8)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw ArtifactError.cannotWrite(path: url.deletingLastPathComponent().path,
                                            reason: "cannot create the backup directory: \(error.localizedDescription)")
        }
        try AtomicFile.write(bytes, to: url)
    }

    /// The record in the file at `url`, nil when there is no file.
    static func read(_ url: URL) throws -> TrainingBackupRecord? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        func corrupt(_ reason: String) -> NeuralError { .backupMismatch(path: url.path, reason: reason) }
        let data: [UInt8]
        do { data = [UInt8](try Data(contentsOf: url)) } catch { throw corrupt("cannot be read: \(error.localizedDescription)") }
        guard data.count >= 28 + 64, Array(data[0..<8]) == magic else { throw corrupt("not a Sluice training backup") }
        let body = Array(data[0..<(data.count - 64)])
        guard Array(Artifact.digest(of: body).utf8) == Array(data[(data.count - 64)...]) else {
            throw corrupt("its checksum does not match: the file is damaged or truncated")
        }
        var at = 8
        func next<T: FixedWidthInteger>(_: T.Type) throws -> T {
            guard at + MemoryLayout<T>.size <= body.count else { throw corrupt("truncated") }
            defer { at += MemoryLayout<T>.size }
            return data.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) }
        }
        guard try next(UInt32.self) == version else { throw corrupt("written by another version of Sluice") }
        let jsonLength = try next(UInt64.self), count = try next(UInt64.self)
        guard jsonLength <= UInt64(body.count - at) else { throw corrupt("truncated") }
        let json = Data(data[at..<(at + Int(jsonLength))])
        at += Int(jsonLength)
        var tensors = [TensorArchive.Tensor]()
        for _ in 0..<count {
            guard at + 12 <= body.count else { throw corrupt("truncated") }
            let dtype = String(decoding: data[at..<(at + 4)], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            at += 4
            let size = try next(UInt64.self)
            guard size <= UInt64(body.count - at) else { throw corrupt("truncated") }
            tensors.append(TensorArchive.Tensor(dtype: dtype, bytes: Array(data[at..<(at + Int(size))])))
            at += Int(size)
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder.userInfo[.sluiceTensors] = TensorArchive(tensors: tensors)
        do { return try decoder.decode(TrainingBackupRecord.self, from: json) } catch {
            throw corrupt("cannot decode it: \(error)")
        }
    }

    /// What identifies a run: the options (with the epoch count and the backup itself left
    /// out), the parameter shapes, the row counts and the generator the run starts from.
    static func fingerprint(options: TrainingOptions, parameters: [Matrix<Float>], trainingRows: Int,
                            validationRows: Int, generator: SeededGenerator) throws -> String {
        struct Identity: Encodable {
            var options: TrainingOptions
            var shapes: [[Int]]
            var trainingRows: Int, validationRows: Int
            var generator: SeededGenerator
        }
        var o = options
        o.epochs = 1
        o.backup = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let identity = Identity(options: o, shapes: parameters.map { [$0.rows, $0.columns] }, trainingRows: trainingRows,
                                validationRows: validationRows, generator: generator)
        return Artifact.digest(of: Array(try encoder.encode(identity)))
    }

    static func append<T: FixedWidthInteger>(_ v: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
