import Foundation
import SluiceCompute
import SluiceFrame
import SluicePipeline

/// A check every stage kind's examples run.
public protocol StageVerifier: Sendable {
    /// A short name, shown in failures.
    var name: String { get }
    func verify(_ example: StageExample, into findings: inout Findings) throws
}

/// A check every learner kind's examples run.
public protocol LearnerVerifier: Sendable {
    var name: String { get }
    func verify(_ example: LearnerExample, into findings: inout Findings) throws
}

/// A check every sampler example runs.
public protocol SamplerVerifier: Sendable {
    var name: String { get }
    func verify(_ example: SamplerExample, into findings: inout Findings) throws
}

/// Shared plumbing of the verifiers: fitting an example, encoding a lone fitted stage as an
/// artifact encodes it, comparing frames column by column.
enum Support {
    static func fit(_ e: StageExample, _ frame: Frame? = nil, seed: UInt64 = 42) throws -> any FittedTransformer {
        let data = frame ?? e.frame
        var context = FitContext(seed: seed, target: e.target.map { t in frame == nil ? t : slice(t, data.rowCount) })
        return try e.stage.fit(data, context: &context)
    }

    /// The first `rows` rows of `column`.
    static func slice(_ column: Column, _ rows: Int) -> Column {
        (try? Frame(["c": column]).head(rows).column("c")) ?? column
    }

    static func encoder(_ archive: TensorArchive) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        encoder.userInfo[.sluiceTensors] = archive
        return encoder
    }

    /// The stage's JSON (`{"kind", "state"}`) and its tensors, as in an artifact.
    static func encode(_ stage: any FittedTransformer) throws -> (Data, TensorArchive) {
        let archive = TensorArchive()
        return (try encoder(archive).encode(AnyFittedTransformer(stage)), archive)
    }

    /// Decodes (and so validates) a stage encoded by ``encode(_:)``.
    static func decode(_ data: Data, _ archive: TensorArchive, codec: ArtifactCodec) throws -> any FittedTransformer {
        let decoder = JSONDecoder()
        codec.configure(decoder)
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder.userInfo[.sluiceTensors] = archive
        return try decoder.decode(AnyFittedTransformer.self, from: data).base
    }

    /// nil if `a` and `b` have the same column names and equal columns (`double` columns
    /// within `tolerance`, relative, when it is not 0), else the first difference.
    static func difference(_ a: Frame, _ b: Frame, tolerance: Double = 0) -> String? {
        guard a.columnNames == b.columnNames else { return "columns \(a.columnNames) vs \(b.columnNames)" }
        guard a.rowCount == b.rowCount else { return "\(a.rowCount) rows vs \(b.rowCount)" }
        for (n, (x, y)) in zip(a.columnNames, zip(a.columns, b.columns)) where x != y {
            if tolerance > 0, case .double(let u) = x.data, case .double(let v) = y.data, (0..<x.count).allSatisfy({ x.isNull($0) == y.isNull($0) }),
               zip(u, v).allSatisfy({ ($0.isNaN && $1.isNaN) || abs($0 - $1) <= tolerance * max(1, abs($0)) }) { continue }
            return "column '\(n)' differs"
        }
        return nil
    }

    /// `frame` split into batches of `size` rows.
    static func batches(_ frame: Frame, of size: Int) -> [Frame] {
        stride(from: 0, to: frame.rowCount, by: size).map { frame.slice($0..<min(frame.rowCount, $0 + size)) }
    }

    /// `frame` with the target added as a column named `name`.
    static func withTarget(_ frame: Frame, _ target: Column, name: String) throws -> Frame {
        try frame.setting(name, to: target, nullable: false)
    }
}
