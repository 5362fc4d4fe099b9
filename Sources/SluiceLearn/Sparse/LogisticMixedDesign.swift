import SluiceCompute

/// A design of dense leading columns and CSR trailing ones (a pipeline's frame features and its
/// sparse stages' features: scaled numbers beside a one-hot encoding), used as it is, never
/// assembled into one matrix. Newton's method reads it by row blocks (``LogisticRowBlocks``),
/// so a narrow problem with sparse features gets the same fit as its dense copy would, in the
/// memory of the compact one.
///
/// Every product is summed in a fixed order (dense part by BLAS, each output element by one
/// thread; sparse part by row in stored order, `Rᵀ · S` over fixed blocks of
/// ``blockRows`` rows added in block order), so results do not depend on the thread count.
struct LogisticMixedDesign: LogisticRowBlocks {
    let dense: Matrix<Double>
    let sparse: SparseMatrix<Double>
    var rows: Int { sparse.rows }
    var columns: Int { dense.columns + sparse.columns }
    /// The rows of one partial sum of `Rᵀ · S`.
    static let blockRows = 8192

    init(dense: Matrix<Double>, sparse: SparseMatrix<Double>) {
        precondition(dense.rows == sparse.rows, "mixed design: \(dense.rows) dense rows, \(sparse.rows) sparse")
        self.dense = dense
        self.sparse = sparse
    }

    /// `w`'s columns `range` (`m × range.count`).
    private func columns(of w: Matrix<Double>, _ range: Range<Int>) -> Matrix<Double> {
        Matrix(rows: w.rows, columns: range.count) { out in
            w.withUnsafeBufferPointer { src in
                for k in 0..<w.rows {
                    for (o, j) in range.enumerated() { out.initializeElement(at: k * range.count + o, to: src[k * w.columns + j]) }
                }
            }
        }
    }

    func scores(_ w: Matrix<Double>) -> Matrix<Double> {
        let q = dense.columns
        var z = q > 0 ? dense.scores(columns(of: w, 0..<q)) : Matrix(rows: rows, columns: w.rows)
        z += sparse.multiplied(byTransposeOf: columns(of: w, q..<columns))
        return z
    }

    func weightedSums(_ r: Matrix<Double>, alpha: Double) -> Matrix<Double> {
        let m = r.columns, q = dense.columns, s = sparse.columns, p = columns
        let gd = q > 0 ? dense.weightedSums(r, alpha: alpha) : Matrix(rows: m, columns: 0)
        let blocks = (rows + Self.blockRows - 1) / Self.blockRows
        var partials = [Double](repeating: 0, count: blocks * m * s)
        partials.withUnsafeMutableBufferPointer { part in
            r.withUnsafeBufferPointer { rp in
                sparse.rowOffsets.withUnsafeBufferPointer { off in
                    sparse.columnIndices.withUnsafeBufferPointer { idx in
                        sparse.values.withUnsafeBufferPointer { val in
                            Parallel.forEachChunk(of: blocks, minimumChunk: 1) { range in
                                for b in range {
                                    let acc = part.baseAddress! + b * m * s
                                    for i in (b * Self.blockRows)..<min(rows, (b + 1) * Self.blockRows) {
                                        for e in off[i]..<off[i + 1] {
                                            let j = Int(idx[e]), v = val[e]
                                            for k in 0..<m { acc[k * s + j] += rp[i * m + k] * v }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Matrix(rows: m, columns: p) { out in
            gd.withUnsafeBufferPointer { g in
                for k in 0..<m {
                    for j in 0..<q { out.initializeElement(at: k * p + j, to: g[k * q + j]) }
                    for j in 0..<s {
                        var total = 0.0
                        for b in 0..<blocks { total += partials[(b * m + k) * s + j] }
                        out.initializeElement(at: k * p + q + j, to: alpha * total)
                    }
                }
            }
        }
    }

    func copyRows(_ start: Int, count: Int, into out: UnsafeMutablePointer<Double>, stride: Int) {
        let q = dense.columns
        dense.copyRows(start, count: count, into: out, stride: stride)
        sparse.rowOffsets.withUnsafeBufferPointer { off in
            sparse.columnIndices.withUnsafeBufferPointer { idx in
                sparse.values.withUnsafeBufferPointer { val in
                    for i in 0..<count {
                        let row = out + i * stride + q
                        row.update(repeating: 0, count: sparse.columns)
                        for e in off[start + i]..<off[start + i + 1] { row[Int(idx[e])] = val[e] }
                    }
                }
            }
        }
    }
}
