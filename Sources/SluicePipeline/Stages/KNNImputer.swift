import SluiceCompute
import SluiceFrame

/// Fills missing values (nulls and `NaN`) in numeric columns from the nearest training
/// rows, as scikit-learn's `KNNImputer`.
///
/// **Distance.** scikit-learn's `nan_euclidean`: between two rows, the squared differences
/// over the columns both have, scaled up by `columns / shared columns`, square-rooted;
/// undefined when they share no column. Distances are computed a block of receiving rows
/// at a time against all training rows with two BLAS products per block
/// (`[x², x, 1ₓ]·[1ᵧ, −2y, y²]ᵀ` for the squared distances, `1ₓ·1ᵧᵀ` for the shared counts).
///
/// **Imputation.** A missing value in column `c` is the mean of column `c` over the
/// ``neighbors`` nearest training rows that have `c` (``Weights/uniform``) or their mean
/// weighted by inverse distance (``Weights/distance``; rows at distance 0, if any, share
/// all the weight). Neighbours at an undefined distance get no weight; a row with no
/// defined distance to any such training row gets the column's training mean.
///
/// **Columns missing entirely at fit** are kept, as scikit-learn's
/// `keep_empty_features=True`: they come out as 0 in every row (the value the model was
/// trained on), never silently dropped. Output columns are non-null `double`s.
///
/// The fitted stage holds the training rows of the chosen columns (as scikit-learn's
/// `_fit_X`): `rows × columns` doubles in the artifact.
public struct KNNImputer: Transformer {
    public enum Weights: String, Sendable, Codable, Equatable {
        case uniform, distance
    }
    public var columns: ColumnSelector
    public var neighbors: Int
    public var weights: Weights
    public var name: String { "KNNImputer" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), neighbors: Int = 5, weights: Weights = .uniform) {
        self.columns = columns
        self.neighbors = neighbors
        self.weights = weights
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        try ColumnValues.replacingWithDoubles(input, ColumnValues.numericColumns(columns, in: input, stage: name),
                                              nullable: false)
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        guard neighbors >= 1 else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "neighbors must be at least 1, not \(neighbors)")
        }
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        let x = try framing(name) { () throws(FrameError) in try frame.matrix(columns: names, nulls: .nan) }
        var means = [Double](), valid = [Bool]()
        for j in 0..<names.count {
            var sum = 0.0, count = 0.0
            for i in 0..<x.rows where !x[i, j].isNaN {
                sum += x[i, j]
                count += 1
            }
            means.append(count > 0 ? sum / count : 0)
            valid.append(count > 0)
        }
        return Fitted(columns: names, neighbors: neighbors, weights: weights, training: x, means: means, valid: valid,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try outputSchema(for: frame.schema))
    }

    /// Fitted state: the training rows of the chosen columns (`NaN` where missing).
    public struct Fitted: FittedTransformer {
        public static let kind = "KNNImputer"
        public var columns: [String]
        public var neighbors: Int
        public var weights: Weights
        /// `rows × columns`, `NaN` where missing.
        public var training: Matrix<Double>
        /// Each column's training mean (the fallback), 0 for a column missing entirely.
        public var means: [Double]
        /// Whether each column had any value at fit.
        public var valid: [Bool]
        public var inputSchema: Schema
        public var outputSchema: Schema

        /// Receiving rows per distance block.
        static let block = 256

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            let p = columns.count, m = training.rows
            var x = try framing(Self.kind) { () throws(FrameError) in try frame.matrix(columns: columns, nulls: .nan) }
            let n = x.rows
            let receivers = (0..<n).filter { i in (0..<p).contains { valid[$0] && x[i, $0].isNaN } }
            if !receivers.isEmpty && m > 0 {
                // Training side, once: B = [1ᵧ, −2y, y²] (m × 3p) and the presence matrix (m × p).
                let b = Matrix<Double>(rows: m, columns: 3 * p) { out in
                    for i in 0..<m {
                        for j in 0..<p {
                            let v = training[i, j], present = !v.isNaN
                            out[i * 3 * p + j] = present ? 1 : 0
                            out[i * 3 * p + p + j] = present ? -2 * v : 0
                            out[i * 3 * p + 2 * p + j] = present ? v * v : 0
                        }
                    }
                }
                let presentY = Matrix<Double>(rows: m, columns: p) { out in
                    for i in 0..<m { for j in 0..<p { out[i * p + j] = training[i, j].isNaN ? 0 : 1 } }
                }
                let donors = (0..<p).map { j in (0..<m).filter { !training[$0, j].isNaN } }
                var start = 0
                while start < receivers.count {
                    let rows = Array(receivers[start..<min(receivers.count, start + Self.block)])
                    let distances = self.distances(rows, x, b, presentY)
                    for (r, i) in rows.enumerated() {
                        let receiver = x.row(i)
                        for j in 0..<p where valid[j] && x[i, j].isNaN {
                            x[i, j] = impute(distances, row: r, receiver: receiver, column: j, donors: donors[j])
                        }
                    }
                    start += Self.block
                }
            }
            var out = frame
            for (j, n) in columns.enumerated() {
                let v = (0..<x.rows).map { i in valid[j] ? x[i, j] : 0 }
                try framing(Self.kind) { () throws(FrameError) in try out.set(n, to: Column(.double(v)), nullable: false) }
            }
            return out
        }

        /// nan-Euclidean distances from `rows` of `x` to every training row (`rows.count × m`).
        func distances(_ rows: [Int], _ x: Matrix<Double>, _ b: Matrix<Double>, _ presentY: Matrix<Double>) -> Matrix<Double> {
            let p = columns.count, r = rows.count
            let a = Matrix<Double>(rows: r, columns: 3 * p) { out in
                for (k, i) in rows.enumerated() {
                    for j in 0..<p {
                        let v = x[i, j], present = !v.isNaN
                        out[k * 3 * p + j] = present ? v * v : 0
                        out[k * 3 * p + p + j] = present ? v : 0
                        out[k * 3 * p + 2 * p + j] = present ? 1 : 0
                    }
                }
            }
            var squared = Matrix<Double>(rows: r, columns: b.rows)
            squared.gemm(a, b.transposed)
            var shared = Matrix<Double>(rows: r, columns: b.rows)
            shared.gemm(a.columns((2 * p)..<(3 * p)), presentY.transposed)
            let scale = Double(p)
            squared.withUnsafeMutableBufferPointer { d in
                shared.withUnsafeBufferPointer { c in
                    for e in 0..<d.count {
                        d[e] = c[e] == 0 ? .nan : (max(0, d[e]) / c[e] * scale).squareRoot()
                    }
                }
            }
            return squared
        }

        /// The nan-Euclidean distance from `receiver` to training row `d`, summed directly.
        func directDistance(_ receiver: [Double], _ d: Int) -> Double {
            var sum = 0.0, shared = 0
            for (j, v) in receiver.enumerated() {
                let t = training[d, j]
                if !v.isNaN && !t.isNaN {
                    sum += (v - t) * (v - t)
                    shared += 1
                }
            }
            return shared == 0 ? .nan : (sum / Double(shared) * Double(receiver.count)).squareRoot()
        }

        /// The imputed value of `column` for receiving row `row` of `distances`.
        func impute(_ distances: Matrix<Double>, row: Int, receiver: [Double], column j: Int, donors: [Int]) -> Double {
            let k = min(neighbors, donors.count)
            guard k > 0 else { return means[j] }
            // The k nearest donors with a defined distance (ties: the earlier training row).
            var best = [(Double, Int)]()
            best.reserveCapacity(k + 1)
            for d in donors {
                let dist = distances[row, d]
                guard !dist.isNaN else { continue }
                if best.count == k, let last = best.last, dist >= last.0 { continue }
                var at = best.count
                while at > 0 && best[at - 1].0 > dist { at -= 1 }
                best.insert((dist, d), at: at)
                if best.count > k { best.removeLast() }
            }
            guard !best.isEmpty else { return means[j] }
            // The Gram form loses the exact zero of a duplicate row to rounding; the chosen
            // few are recomputed directly, so a duplicate is at distance 0 and takes all the
            // weight under distance weighting.
            if weights == .distance {
                for e in best.indices { best[e].0 = directDistance(receiver, best[e].1) }
            }
            var w: [Double]
            switch weights {
            case .uniform: w = best.map { _ in 1 }
            case .distance:
                w = best.contains { $0.0 == 0 } ? best.map { $0.0 == 0 ? 1 : 0 } : best.map { 1 / $0.0 }
            }
            var sum = 0.0, total = 0.0
            for (e, (_, d)) in best.enumerated() {
                sum += w[e] * training[d, j]
                total += w[e]
            }
            return sum / total
        }
    }
}

extension KNNImputer.Fitted {
    /// At least one neighbour; a training matrix with one column per numeric input column;
    /// one finite mean and one flag per column.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes)
        try check.require(neighbors >= 1, "neighbors", "\(neighbors), needs at least 1")
        try check.count(training.columns, "training", equals: columns.count)
        try check.count(means.count, "means", equals: columns.count)
        try check.count(valid.count, "valid", equals: columns.count)
        try check.finite(means, "means")
        try check.outputs(columns, in: outputSchema)
    }
}
