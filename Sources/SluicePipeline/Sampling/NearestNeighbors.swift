import SluiceCompute

/// Exact k-nearest-neighbour search within one set of points, for SMOTE and SMOTE-NC.
///
/// The squared distance of points `a` and `b` is `‖a − b‖²` over the numeric features plus
/// `penalty²` for each categorical feature on which they differ (imbalanced-learn's SMOTE-NC
/// distance, computed from the category codes without one-hot encoding anything).
///
/// The numeric part is `‖b‖² − 2·a·b` (plus the constant `‖a‖²`, which does not change the
/// order), with `a·b` for a block of queries against a tile of references computed by one
/// `gemm`. Each query keeps its `k` best candidates in a small sorted list; a candidate whose
/// numeric part alone cannot beat the current k-th is dropped before its categories are
/// compared. Query blocks run on all cores; blocks and tiles have fixed sizes, so the
/// result does not depend on the thread count. Ties go to the lower row index.
enum NearestNeighbors {
    static let queryBlock = 128
    static let referenceTile = 2048

    /// For each of the `x.rows` points, the indices of its `k` nearest other points, nearest
    /// first (`rows × k`, row-major). - Precondition: `0 < k < x.rows`; every categorical code
    /// array has `x.rows` entries.
    static func search(_ x: Matrix<Double>, k: Int, categories: [[Int32]] = [], penalty: Double = 0) -> [Int] {
        let n = x.rows, d = x.columns
        precondition(k > 0 && k < n, "k must be in 1..<rows")
        // Centre the columns: distances are unchanged and ‖b‖² − 2a·b loses less to rounding.
        var centred = x
        let means = x.columnMeans()
        var norms = [Double](repeating: 0, count: n)
        centred.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                var s = 0.0
                for j in 0..<d {
                    let v = p[i * d + j] - means[j]
                    p[i * d + j] = v
                    s += v * v
                }
                norms[i] = s
            }
        }
        let penalty2 = penalty * penalty
        let cats = categories
        var result = [Int](repeating: 0, count: n * k)
        let blocks = (n + queryBlock - 1) / queryBlock
        result.withUnsafeMutableBufferPointer { out in
            centred.withUnsafeBufferPointer { xp in
                norms.withUnsafeBufferPointer { np in
                    Parallel.forEachChunk(of: blocks, minimumChunk: 1) { range in
                        let tile = UnsafeMutablePointer<Double>.allocate(capacity: queryBlock * referenceTile)
                        let bestD = UnsafeMutablePointer<Double>.allocate(capacity: queryBlock * k)
                        let bestI = UnsafeMutablePointer<Int>.allocate(capacity: queryBlock * k)
                        defer { tile.deallocate(); bestD.deallocate(); bestI.deallocate() }
                        for block in range {
                            let q0 = block * queryBlock, q1 = min(n, q0 + queryBlock), m = q1 - q0
                            bestD.initialize(repeating: .infinity, count: m * k)
                            bestI.initialize(repeating: -1, count: m * k)
                            var r0 = 0
                            while r0 < n {
                                let r1 = min(n, r0 + referenceTile), w = r1 - r0
                                if d > 0, let base = xp.baseAddress {
                                    Double.gemm(false, true, m, w, d, -2, base + q0 * d, d, base + r0 * d, d,
                                                0, tile, referenceTile)
                                } else {
                                    for i in 0..<m { (tile + i * referenceTile).initialize(repeating: 0, count: w) }
                                }
                                for qi in 0..<m {
                                    let q = q0 + qi
                                    let row = tile + qi * referenceTile
                                    let dq = bestD + qi * k, iq = bestI + qi * k
                                    var worst = dq[k - 1]
                                    for t in 0..<w {
                                        var v = np[r0 + t] + row[t]
                                        if v >= worst { continue }
                                        let r = r0 + t
                                        if r == q { continue }
                                        if !cats.isEmpty {
                                            var differ = 0
                                            for c in cats where c[q] != c[r] { differ += 1 }
                                            v += penalty2 * Double(differ)
                                            if v >= worst { continue }
                                        }
                                        // Insert into the sorted list, dropping the last.
                                        var p = k - 1
                                        while p > 0 && dq[p - 1] > v {
                                            dq[p] = dq[p - 1]
                                            iq[p] = iq[p - 1]
                                            p -= 1
                                        }
                                        dq[p] = v
                                        iq[p] = r
                                        worst = dq[k - 1]
                                    }
                                }
                                r0 = r1
                            }
                            for i in 0..<(m * k) { out[q0 * k + i] = bestI[i] }
                        }
                    }
                }
            }
        }
        return result
    }
}
