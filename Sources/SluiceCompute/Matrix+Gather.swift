extension Matrix {
    /// The rows `rows` of the matrix, in that order (repeats allowed), as a new matrix.
    /// - Precondition: every index is in `0..<self.rows`.
    public func gatheringRows(_ rows: [Int]) -> Matrix {
        let p = columns, n = self.rows
        return withUnsafeBufferPointer { xp in
            Matrix(rows: rows.count, columns: p) { out in
                for (r, i) in rows.enumerated() {
                    precondition(i >= 0 && i < n, "gatheringRows: row \(i) of \(n)")
                    for t in 0..<p { out.initializeElement(at: r * p + t, to: xp[i * p + t]) }
                }
            }
        }
    }
}
