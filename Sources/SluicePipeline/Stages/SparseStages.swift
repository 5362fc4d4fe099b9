import Foundation
import SluiceCompute
import SluiceFrame

/// The CSR form of the vectorizers' and the one-hot encoder's output, for pipelines whose
/// learner accepts sparse input (see ``SparseFeatureTransformer``). Each gives exactly the
/// values of its dense columns, in the same order, without ever holding `rows × features`.
enum SparseStageOutput {
    /// The CSR rows of a text column: row `i` is the (column, value) pairs of its text
    /// (`codes[i]`, `-1`: an empty row).
    static func rows(_ perText: [[(Int, Double)]], codes: [Int32], width: Int) throws -> SparseMatrix<Double> {
        var offsets = [0], indices = [Int32](), values = [Double]()
        offsets.reserveCapacity(codes.count + 1)
        for c in codes {
            if c >= 0 {
                for (j, v) in perText[Int(c)] {
                    indices.append(Int32(j))
                    values.append(v)
                }
            }
            offsets.append(values.count)
        }
        return try SparseMatrix(rows: codes.count, columns: width, rowOffsets: offsets, columnIndices: indices, values: values)
    }

    /// The blocks side by side, as one stage's block, and `frame` without `columns`.
    static func block(_ frame: Frame, dropping columns: [String], _ parts: [(names: [String], matrix: SparseMatrix<Double>)],
                      stage: String) throws -> (frame: Frame, block: SparseFeatureBlock) {
        let rest = try framing(stage) { () throws(FrameError) in try frame.dropping(columns) }
        let matrix: SparseMatrix<Double>
        do {
            matrix = parts.count == 1 ? parts[0].matrix : try SparseMatrix.concatenatingColumns(parts.map(\.matrix))
        } catch {
            throw PipelineError.invalidValue(stage: stage, column: columns.joined(separator: ", "), reason: "\(error)")
        }
        return (rest, SparseFeatureBlock(names: parts.flatMap(\.names), matrix: matrix))
    }

    /// Row norms in place.
    static func normalize(_ x: inout SparseMatrix<Double>, _ norm: VectorNorm) {
        switch norm {
        case .l2: x.normalizeRows()
        case .l1: x.normalizeRows(l1: true)
        case .none: break
        }
    }
}

extension CountVectorizer: SparseOutputStage {
    public var producesSparse: Bool { sparse }
}

extension CountVectorizer.Fitted: SparseFeatureTransformer {
    public var producesSparse: Bool { sparse ?? false }
    public var sparseOutputNames: [String] {
        zip(columns, vocabularies).flatMap { n, v in v.map { "\(n)=\($0)" } }
    }

    /// Per column, its output names and CSR counts.
    func sparseCounts(_ frame: Frame) throws -> [(names: [String], matrix: SparseMatrix<Double>)] {
        try columns.enumerated().map { j, n -> (names: [String], matrix: SparseMatrix<Double>) in
            let (texts, codes) = try Text.documents(frame, n, stage: Self.kind)
            let perText = Text.termCounts(texts: texts, codes: codes, vocabulary: vocabularies[j], lowercase: lowercase)
            return (vocabularies[j].map { "\(n)=\($0)" }, try SparseStageOutput.rows(perText, codes: codes, width: vocabularies[j].count))
        }
    }

    public func sparseTransform(_ frame: Frame, report: inout TransformReport) throws -> (frame: Frame, block: SparseFeatureBlock) {
        try inputSchema.check(frame, stage: Self.kind)
        return try SparseStageOutput.block(frame, dropping: columns, sparseCounts(frame), stage: Self.kind)
    }
}

extension TfidfVectorizer: SparseOutputStage {
    public var producesSparse: Bool { counting.sparse }
}

extension TfidfVectorizer.Fitted: SparseFeatureTransformer {
    public var producesSparse: Bool { sparse ?? false }
    public var sparseOutputNames: [String] { counts.sparseOutputNames }

    public func sparseTransform(_ frame: Frame, report: inout TransformReport) throws -> (frame: Frame, block: SparseFeatureBlock) {
        try inputSchema.check(frame, stage: Self.kind)
        var parts = try counts.sparseCounts(frame)
        for j in parts.indices {
            if sublinearTF { parts[j].matrix.transformValues { $0 > 0 ? 1 + log($0) : $0 } }
            parts[j].matrix.scaleColumns(by: idf[j])
            SparseStageOutput.normalize(&parts[j].matrix, norm)
        }
        return try SparseStageOutput.block(frame, dropping: counts.columns, parts, stage: Self.kind)
    }
}

extension HashingVectorizer: SparseOutputStage {
    public var producesSparse: Bool { sparse }
}

extension HashingVectorizer.Fitted: SparseFeatureTransformer {
    public var producesSparse: Bool { sparse ?? false }
    public var sparseOutputNames: [String] { columns.flatMap { n in (0..<features).map { "\(n)#\($0)" } } }

    public func sparseTransform(_ frame: Frame, report: inout TransformReport) throws -> (frame: Frame, block: SparseFeatureBlock) {
        try inputSchema.check(frame, stage: Self.kind)
        let parts = try columns.map { col -> (names: [String], matrix: SparseMatrix<Double>) in
            let (texts, codes) = try Text.documents(frame, col, stage: Self.kind)
            var x = try SparseStageOutput.rows(hashedCounts(texts: texts, codes: codes), codes: codes, width: features)
            SparseStageOutput.normalize(&x, norm)
            return ((0..<features).map { "\(col)#\($0)" }, x)
        }
        return try SparseStageOutput.block(frame, dropping: columns, parts, stage: Self.kind)
    }
}

extension OneHotEncoder: SparseOutputStage {
    public var producesSparse: Bool { sparse }
}

extension OneHotEncoder.Fitted: SparseFeatureTransformer {
    public var producesSparse: Bool { sparse ?? false }
    public var sparseOutputNames: [String] { encodings.flatMap(\.outputNames) }

    /// One stored 1 per row and column (none for an unknown category, or the dropped first
    /// one), in the columns of the dense output: one CSR matrix built in a single pass, each
    /// row's entries in column order (the encodings' order).
    public func sparseTransform(_ frame: Frame, report: inout TransformReport) throws -> (frame: Frame, block: SparseFeatureBlock) {
        try inputSchema.check(frame, stage: Self.kind)
        let slots = try encodings.map { e in
            e.slots(try framing(Self.kind) { () throws(FrameError) in try frame.column(e.column) }, report: &report)
        }
        var bases = [Int](), width = 0
        for e in encodings {
            bases.append(width)
            width += e.outputNames.count
        }
        let n = frame.rowCount
        var offsets = [Int](repeating: 0, count: n + 1), indices = [Int32]()
        indices.reserveCapacity(n * encodings.count)
        for i in 0..<n {
            for (k, e) in encodings.enumerated() {
                let slot = slots[k][i] - (e.dropFirst ? 1 : 0)
                if slot >= 0 { indices.append(Int32(bases[k] + slot)) }
            }
            offsets[i + 1] = indices.count
        }
        let x: SparseMatrix<Double>
        do {
            x = try SparseMatrix(rows: n, columns: width, rowOffsets: offsets, columnIndices: indices,
                                 values: [Double](repeating: 1, count: indices.count))
        } catch {
            throw PipelineError.invalidValue(stage: Self.kind, column: encodings.map(\.column).joined(separator: ", "),
                                             reason: "\(error)")
        }
        return try SparseStageOutput.block(frame, dropping: encodings.map(\.column), [(encodings.flatMap(\.outputNames), x)],
                                           stage: Self.kind)
    }
}
