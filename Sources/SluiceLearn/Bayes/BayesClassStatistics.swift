import SluiceCompute
import SluicePipeline

/// Weighted per-class sums over the rows of a feature matrix, computed in fixed blocks of
/// rows in parallel and added in block order, so the result does not depend on the thread
/// count.
enum BayesClassStatistics {
    /// Rows per block.
    static let block = 8192

    /// `body(rows, partial)` accumulates into its block's `width` partial sums; returns the
    /// partials of all blocks added in block order.
    static func blockSums(rows n: Int, width: Int, _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        let blocks = max(1, (n + block - 1) / block)
        var partial = [Double](repeating: 0, count: blocks * width)
        partial.withUnsafeMutableBufferPointer { pp in
            let out = UncheckedBox(pp.baseAddress!)
            Parallel.forEachChunk(of: blocks, minimumChunk: 1) { range in
                for b in range { body((b * block)..<min(n, (b + 1) * block), out.value + b * width) }
            }
        }
        var total = [Double](repeating: 0, count: width)
        for b in 0..<blocks { for j in 0..<width { total[j] += partial[b * width + j] } }
        return total
    }

    /// Per class `c`: `Σ wᵢ` (`counts[c]`) and `Σ wᵢ·xᵢ` (`sums[c·p + j]`) over its rows, with
    /// `transform` applied to each value first (identity, or a binarising threshold).
    static func weightedSums(_ x: Matrix<Double>, codes: [Int], classes m: Int, weights: [Double]?,
                             transform: (@Sendable (Double) -> Double)? = nil) -> (counts: [Double], sums: [Double]) {
        let p = x.columns, width = m * (p + 1)
        let total = x.withUnsafeBufferPointer { xp in
            blockSums(rows: x.rows, width: width) { rows, acc in
                for i in rows {
                    let c = codes[i], w = weights?[i] ?? 1
                    acc[m * p + c] += w
                    let row = xp.baseAddress! + i * p, s = acc + c * p
                    if let transform {
                        for j in 0..<p { s[j] += w * transform(row[j]) }
                    } else {
                        for j in 0..<p { s[j] += w * row[j] }
                    }
                }
            }
        }
        return (Array(total[(m * p)...]), Array(total[..<(m * p)]))
    }
}

extension BayesClassStatistics {
    /// ``weightedSums(_:codes:classes:weights:transform:)`` of CSR rows: only stored entries
    /// add to the sums (`transform` must keep 0 at 0).
    static func weightedSums(sparse x: SparseMatrix<Double>, codes: [Int], classes m: Int, weights: [Double]?,
                             transform: (@Sendable (Double) -> Double)? = nil) -> (counts: [Double], sums: [Double]) {
        let p = x.columns, width = m * (p + 1)
        let total = x.rowOffsets.withUnsafeBufferPointer { off in
            x.columnIndices.withUnsafeBufferPointer { idx in
                x.values.withUnsafeBufferPointer { val in
                    blockSums(rows: x.rows, width: width) { rows, acc in
                        for i in rows {
                            let c = codes[i], w = weights?[i] ?? 1
                            acc[m * p + c] += w
                            let s = acc + c * p
                            for e in off[i]..<off[i + 1] {
                                s[Int(idx[e])] += w * (transform.map { $0(val[e]) } ?? val[e])
                            }
                        }
                    }
                }
            }
        }
        return (Array(total[(m * p)...]), Array(total[..<(m * p)]))
    }
}

/// A pointer handed to parallel loop bodies that write disjoint parts of it.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
