import SluiceCompute

/// Rows through the trees of ``TreeSHAPTables``, generic over the row's scalar as
/// ``TreeSHAPWalk`` is: per row and tree, one pass over the internal nodes sets every node's
/// pattern (the bits of the features whose conditions the row met on the way), then each leaf
/// adds one table look-up per path feature.
struct TreeSHAPTableWalk<S: BLASScalar> {
    let nodes: UnsafeBufferPointer<TreeSHAPTables.Node>
    let leaves: UnsafeBufferPointer<TreeSHAPTables.Leaf>
    let features: UnsafeBufferPointer<Int32>
    let zero: UnsafeBufferPointer<Double>
    let hot: UnsafeBufferPointer<Double>
    let weights: UnsafeBufferPointer<Double>
    let values: UnsafePointer<Double>
    let bits: UnsafePointer<UInt32>
    let width: Int
    let featureCount: Int
    let trees: UnsafeBufferPointer<TreeSHAPTables.Tree>
    /// The node count of the largest tree.
    let largestTree: Int

    /// Adds every tree's contributions for rows `range` of `x` (row-major, ``featureCount``
    /// columns) to `out` (`stride` columns per row), tree by tree over the block of rows.
    func add(_ range: Range<Int>, x: UnsafePointer<S>, out: UnsafeMutablePointer<Double>, stride: Int) {
        guard !trees.isEmpty, !range.isEmpty else { return }
        let patterns = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, largestTree))
        defer { patterns.deallocate() }
        for tree in trees {
            for i in range {
                add(tree, row: x + i * featureCount, phi: out + i * stride + tree.output, patterns: patterns)
            }
        }
    }

    /// Adds one tree's contributions for `row` to `phi` (the row's first column of the tree's output).
    @inline(__always)
    func add(_ tree: TreeSHAPTables.Tree, row: UnsafePointer<S>, phi: UnsafeMutablePointer<Double>,
             patterns: UnsafeMutablePointer<UInt32>) {
        patterns[0] = .max
        for i in tree.nodes {
            let n = nodes[i]
            let m = patterns[Int(n.index)]
            let left = BoostedTrees.goesLeft(n.split, Double(row[Int(n.split.feature)]), bits: bits)
            patterns[Int(n.left)] = left ? m : m & ~n.bit
            patterns[Int(n.right)] = left ? m & ~n.bit : m
        }
        for l in tree.leaves {
            let leaf = leaves[l]
            let d = Int(leaf.count), mask = UInt32(truncatingIfNeeded: (1 << d) - 1)
            let a = patterns[Int(leaf.index)] & mask
            let z = zero.baseAddress.unsafelyUnwrapped + leaf.path, h = hot.baseAddress.unsafelyUnwrapped + leaf.path
            let f = features.baseAddress.unsafelyUnwrapped + leaf.path, g = weights.baseAddress.unsafelyUnwrapped + leaf.table
            // Π_{j ∉ A} zⱼ, then the row's share of each feature.
            var scale = 1.0
            var missed = ~a & mask
            while missed != 0 {
                scale *= z[missed.trailingZeroBitCount]
                missed &= missed - 1
            }
            let cold = -scale * g[Int(a)]
            if width == 1 {
                let v = values[leaf.value]
                for k in 0..<d {
                    let bit = UInt32(1) << UInt32(k)
                    let w = a & bit != 0 ? scale * h[k] * g[Int(a ^ bit)] : cold
                    phi[Int(f[k])] += w * v
                }
            } else {
                let v = values + leaf.value
                for k in 0..<d {
                    let bit = UInt32(1) << UInt32(k)
                    let w = a & bit != 0 ? scale * h[k] * g[Int(a ^ bit)] : cold
                    let target = phi + Int(f[k])
                    for c in 0..<width { target[c * featureCount] += w * v[c] }
                }
            }
        }
    }
}
