import SluiceCompute

/// What limits and regularises one boosted tree.
struct GrowerParameters: Sendable {
    var maxLeafNodes: Int?
    var maxDepth: Int?
    var minSamplesLeaf: Int
    var minHessianLeaf: Double
    var l2: Double
    var learningRate: Double
    /// Per feature: +1 increasing, -1 decreasing, 0 free.
    var monotonic: [Int8]
}

/// The best split of a node found so far.
struct SplitCandidate {
    var gain = 0.0
    var feature = -1
    /// Numeric: bins `0…bin` go left (with the missing bin when `missingLeft`).
    var bin = 0
    var missingLeft = false
    var isCategorical = false
    /// Categorical: the bins that go left (bit 255 is the missing bin).
    var leftBins = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
    var leftG = 0.0, leftH = 0.0, leftCount = 0.0
    var leftValue = 0.0, rightValue = 0.0

    @inline(__always) func goesLeft(_ b: UInt8) -> Bool {
        if isCategorical {
            let word: UInt64
            switch b >> 6 {
            case 0: word = leftBins.0
            case 1: word = leftBins.1
            case 2: word = leftBins.2
            default: word = leftBins.3
            }
            return word & (1 << UInt64(b & 63)) != 0
        }
        if Int(b) == HistogramBinning.missingBin { return missingLeft }
        return Int(b) <= bin
    }

    mutating func setLeft(_ b: Int) {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: leftBins.0 |= bit
        case 1: leftBins.1 |= bit
        case 2: leftBins.2 |= bit
        default: leftBins.3 |= bit
        }
    }
}

/// A node while its tree grows.
struct GrowingNode {
    var start: Int
    var count: Int
    var sumG: Double
    var sumH: Double
    var depth: Int
    /// The node's value before the learning rate, within its parent's bounds.
    var value: Double
    /// The bounds of its children's values (monotonic constraints).
    var lower = -Double.infinity, upper = Double.infinity
    /// The histogram slot, or -1.
    var slot = -1
    var split: SplitCandidate?
    /// Its index in the tree's output arrays.
    var output: Int
}

/// One tree as the grower emits it, children after parents.
struct GrownTree {
    var features: [Int32] = []
    var left: [Int32] = []
    var right: [Int32] = []
    var missingLeft: [Bool] = []
    var categorySets: [Int32] = []
    var categoryBits: [UInt32] = []
    var thresholds: [Double] = []
    var values: [Double] = []
    var covers: [Double] = []
    var gains: [Double] = []
    /// The leaves: their output index and sample range in the grower's index array.
    var leaves: [(output: Int, start: Int, count: Int)] = []

    mutating func append(value: Double, cover: Double) -> Int {
        features.append(-1); left.append(-1); right.append(-1); missingLeft.append(false); categorySets.append(-1)
        thresholds.append(0); values.append(value); covers.append(cover); gains.append(0)
        return features.count - 1
    }
}

/// Grows boosted trees leaf-wise (best gain first) on binned features, with histograms of
/// (gradient, hessian, count) per feature and bin: the smaller child's histogram is built
/// from its rows, the larger one's is its parent's minus the smaller's, in the parent's slot.
/// Histograms are built in parallel over features; all buffers are allocated once and reused
/// by every node and every tree.
final class BoostingTreeGrower {
    let data: BoostingBinnedFeatures
    let binning: HistogramBinning
    let parameters: GrowerParameters
    /// Rows, histogram columns (features after bundling), features.
    let n: Int, p: Int, features: Int
    /// One feature's histogram, expanded from its bundle.
    private let expanded = BoostBuffer<Double>(count: 256 * 3, repeating: 0)
    /// Row indices, partitioned so that every node's rows are one contiguous range.
    let indices: BoostBuffer<Int32>
    let scratch: BoostBuffer<Int32>
    let rightScratch: BoostBuffer<Int32>
    /// Left rows of each block of one partition.
    let partitionCounts: BoostBuffer<Int>
    /// Partial histograms of the row blocks of one build.
    let partials: BoostBuffer<Double>
    /// Histogram slots: `p × 256 × 3` doubles each.
    private var slots: [BoostBuffer<Double>] = []
    private var free: [Int] = []
    static let stride = 256 * 3

    init(data: BoostingBinnedFeatures, binning: HistogramBinning, parameters: GrowerParameters) {
        self.data = data
        self.binning = binning
        self.parameters = parameters
        n = data.rows
        p = data.columns
        features = data.features
        indices = BoostBuffer(count: n, repeating: 0)
        scratch = BoostBuffer(count: n, repeating: 0)
        rightScratch = BoostBuffer(count: n, repeating: 0)
        partitionCounts = BoostBuffer(count: n / Self.blockRows + 2, repeating: 0)
        partials = BoostBuffer(count: max(1, (n + Self.blockRows - 1) / Self.blockRows) * max(1, p * Self.stride), repeating: 0)
    }

    private func takeSlot() -> Int {
        if let s = free.popLast() { return s }
        slots.append(BoostBuffer(count: max(1, p * Self.stride), repeating: 0))
        return slots.count - 1
    }

    private func release(_ s: Int) { if s >= 0 { free.append(s) } }

    @inline(__always) func leafValue(_ g: Double, _ h: Double, _ lower: Double, _ upper: Double) -> Double {
        let v = -g / (h + parameters.l2)
        return min(max(v, lower), upper)
    }

    /// Grows one tree on gradients `g` and hessians `h` (one per row).
    func grow(gradients g: UnsafePointer<Float>, hessians h: UnsafePointer<Float>) -> GrownTree {
        for i in 0..<n { indices[i] = Int32(i) }
        var sumG = 0.0, sumH = 0.0
        for i in 0..<n { sumG += Double(g[i]); sumH += Double(h[i]) }
        var tree = GrownTree()
        var root = GrowingNode(start: 0, count: n, sumG: sumG, sumH: sumH, depth: 0,
                               value: leafValue(sumG, sumH, -.infinity, .infinity), output: 0)
        root.output = tree.append(value: root.value * parameters.learningRate, cover: Double(n))
        var open = [GrowingNode]()
        var leaves = 1
        let maxLeaves = parameters.maxLeafNodes ?? Int.max
        if canSplit(root) && maxLeaves > 1 {
            root.slot = takeSlot()
            build(slot: root.slot, start: 0, count: n, root: true, g: g, h: h)
            root.split = bestSplit(root)
            if root.split != nil { open.append(root) } else { release(root.slot); finishLeaf(root, &tree) }
        } else {
            finishLeaf(root, &tree)
        }
        while !open.isEmpty {
            var best = 0
            for i in 1..<open.count where open[i].split!.gain > open[best].split!.gain { best = i }
            let node = open.remove(at: best)
            let split = node.split!
            // Partition the node's rows: left ones first, in order; right ones after, in order.
            let (l, r) = partition(node, split)
            let leftCount = l - node.start
            var left = GrowingNode(start: node.start, count: leftCount, sumG: split.leftG, sumH: split.leftH,
                                   depth: node.depth + 1, value: split.leftValue, output: 0)
            var right = GrowingNode(start: l, count: r, sumG: node.sumG - split.leftG, sumH: node.sumH - split.leftH,
                                    depth: node.depth + 1, value: split.rightValue, output: 0)
            let cst = split.isCategorical ? 0 : parameters.monotonic[split.feature]
            left.lower = node.lower; left.upper = node.upper; right.lower = node.lower; right.upper = node.upper
            if cst != 0 {
                let mid = (split.leftValue + split.rightValue) / 2
                if cst > 0 { left.upper = mid; right.lower = mid } else { left.lower = mid; right.upper = mid }
            }
            left.output = tree.append(value: left.value * parameters.learningRate, cover: Double(left.count))
            right.output = tree.append(value: right.value * parameters.learningRate, cover: Double(right.count))
            record(split: split, node: node, left: left.output, right: right.output, into: &tree)
            leaves += 1
            let splitLeft = leaves < maxLeaves && canSplit(left), splitRight = leaves < maxLeaves && canSplit(right)
            if splitLeft || splitRight {
                let smallIsLeft = left.count <= right.count
                let small = smallIsLeft ? left : right
                let smallSlot = takeSlot()
                build(slot: smallSlot, start: small.start, count: small.count, root: false, g: g, h: h)
                subtract(from: node.slot, smallSlot)  // the parent's slot now holds the larger child
                if smallIsLeft { left.slot = smallSlot; right.slot = node.slot } else { right.slot = smallSlot; left.slot = node.slot }
            } else {
                release(node.slot)
            }
            for var child in [left, right] {
                if child.slot >= 0, leaves < maxLeaves, canSplit(child), let s = bestSplit(child) {
                    child.split = s
                    open.append(child)
                } else {
                    release(child.slot)
                    finishLeaf(child, &tree)
                }
            }
            if leaves >= maxLeaves {
                for o in open { release(o.slot); finishLeaf(o, &tree) }
                open.removeAll()
            }
        }
        return tree
    }

    /// Partitions the node's rows stably: left rows first, then right rows, each in order;
    /// returns where the right rows start and how many there are. Large nodes are split into
    /// fixed blocks partitioned in parallel, then gathered by prefix sums.
    private func partition(_ node: GrowingNode, _ split: SplitCandidate) -> (Int, Int) {
        let column = UnsafePointer(data.bins.pointer + data.columnOf[split.feature]), q = data.columns
        let bundled = data.offset[split.feature] != 0, bins = binning.binCount[split.feature]
        let blocks = max(1, (node.count + Self.blockRows - 1) / Self.blockRows)
        let idx = indices.pointer + node.start, left = scratch.pointer + node.start, right = rightScratch.pointer + node.start
        let counts = partitionCounts
        let data = self.data, count = node.count
        let shared = BoostUnchecked((column, idx, left, right))
        Parallel.forEachChunk(of: blocks, minimumChunk: blocks > 2 ? 1 : blocks) { range in
            let (column, idx, left, right) = shared.value
            for block in range {
                let lo = block * Self.blockRows, hi = min(count, lo + Self.blockRows)
                var l = lo, r = lo
                for k in lo..<hi {
                    let row = idx[k]
                    var b = column[Int(row) * q]
                    if bundled { b = data.featureBin(b, split.feature, binCount: bins) }
                    if split.goesLeft(b) { left[l] = row; l += 1 } else { right[r] = row; r += 1 }
                }
                counts[block] = l - lo
            }
        }
        var leftTotal = 0
        for b in 0..<blocks { leftTotal += counts[b] }
        var lp = 0, rp = leftTotal
        for b in 0..<blocks {
            let lo = b * Self.blockRows, hi = min(count, lo + Self.blockRows), nl = counts[b]
            (idx + lp).update(from: left + lo, count: nl)
            (idx + rp).update(from: right + lo, count: hi - lo - nl)
            lp += nl
            rp += hi - lo - nl
        }
        return (node.start + leftTotal, count - leftTotal)
    }

    private func finishLeaf(_ node: GrowingNode, _ tree: inout GrownTree) {
        tree.leaves.append((node.output, node.start, node.count))
    }

    private func canSplit(_ node: GrowingNode) -> Bool {
        if let d = parameters.maxDepth, node.depth >= d { return false }
        return node.count >= 2 * parameters.minSamplesLeaf && node.sumH >= 2 * parameters.minHessianLeaf
    }

    private func record(split: SplitCandidate, node: GrowingNode, left: Int, right: Int, into tree: inout GrownTree) {
        let i = node.output
        tree.features[i] = Int32(split.feature)
        tree.left[i] = Int32(left)
        tree.right[i] = Int32(right)
        tree.missingLeft[i] = split.missingLeft
        tree.gains[i] = split.gain
        if split.isCategorical {
            tree.categorySets[i] = Int32(tree.categoryBits.count / 8)
            for word in [split.leftBins.0, split.leftBins.1, split.leftBins.2, split.leftBins.3] {
                tree.categoryBits.append(UInt32(truncatingIfNeeded: word))
                tree.categoryBits.append(UInt32(truncatingIfNeeded: word >> 32))
            }
            tree.thresholds[i] = 0
        } else {
            tree.thresholds[i] = binning.threshold(feature: split.feature, bin: split.bin)
        }
    }

    /// Rows per block of a histogram build: each block is summed into its own partial
    /// histograms, then the partials are added in block order, so the sums do not depend on
    /// the number of threads.
    static let blockRows = 16_384

    /// Builds the histograms of rows `indices[start ..< start+count]` into `slot`, row-wise:
    /// each row's gradient pair is read once and added to the bin of each of its features.
    private func build(slot: Int, start: Int, count: Int, root: Bool, g: UnsafePointer<Float>, h: UnsafePointer<Float>) {
        let hist = slots[slot].pointer
        let size = p * Self.stride, p = self.p
        let blocks = max(1, (count + Self.blockRows - 1) / Self.blockRows)
        let partial = blocks == 1 ? hist : partials.pointer
        let shared = BoostUnchecked((g, h, UnsafePointer(indices.pointer + start), UnsafePointer(data.bins.pointer)))
        Parallel.forEachChunk(of: blocks, minimumChunk: 1) { range in
            let (g, h, idx, bins) = shared.value
            for block in range {
                let out = partial + block * size
                out.initialize(repeating: 0, count: size)
                let lo = block * Self.blockRows, hi = min(count, lo + Self.blockRows)
                for k in lo..<hi {
                    let i = root ? k : Int(idx[k])
                    let gi = Double(g[i]), hv = Double(h[i])
                    let row = bins + i * p
                    var o = out
                    for j in 0..<p {
                        let b = Int(row[j]) &* 3
                        o[b] += gi; o[b &+ 1] += hv; o[b &+ 2] += 1
                        o += Self.stride
                    }
                }
            }
        }
        guard blocks > 1 else { return }
        let sums = BoostUnchecked(partial)
        Parallel.forEachChunk(of: size, minimumChunk: 4096) { range in
            let partial = sums.value
            for e in range {
                var total = 0.0
                for block in 0..<blocks { total += partial[block * size + e] }
                hist[e] = total
            }
        }
    }

    /// `slots[parent] -= slots[small]`: the parent's histograms become its larger child's.
    private func subtract(from parent: Int, _ small: Int) {
        let a = slots[parent].pointer, b = slots[small].pointer
        for i in 0..<(p * Self.stride) { a[i] -= b[i] }
    }

    /// The best split of `node` over every feature, or nil when none has positive gain.
    private func bestSplit(_ node: GrowingNode) -> SplitCandidate? {
        var best = SplitCandidate()
        let hist = slots[node.slot].pointer
        let parentLoss = node.sumG * node.value
        for j in 0..<features {
            var hj = hist + data.columnOf[j] * Self.stride
            let o = data.offset[j]
            if o != 0 {  // a bundled feature: its bins b ≥ 1 from the bundle, bin 0 the rest of the node
                let e = expanded.pointer, bins = binning.binCount[j]
                var g = 0.0, h = 0.0, c = 0.0
                for b in 1..<bins {
                    let src = hj + 3 * (o + b - 1)
                    e[3 * b] = src[0]; e[3 * b + 1] = src[1]; e[3 * b + 2] = src[2]
                    g += src[0]; h += src[1]; c += src[2]
                }
                e[0] = node.sumG - g; e[1] = node.sumH - h; e[2] = Double(node.count) - c
                hj = e
            }
            if binning.isCategorical[j] {
                categoricalSplit(j, hj, node, parentLoss, &best)
            } else {
                numericSplit(j, hj, node, parentLoss, &best)
            }
        }
        return best.feature >= 0 && best.gain > 0 ? best : nil
    }

    /// The gain of a split with left sums `(gl, hl)`, or nil when a constraint forbids it.
    @inline(__always)
    private func gain(_ gl: Double, _ hl: Double, _ node: GrowingNode, _ parentLoss: Double, _ cst: Int8)
        -> (gain: Double, left: Double, right: Double)? {
        let gr = node.sumG - gl, hr = node.sumH - hl
        let vl = leafValue(gl, hl, node.lower, node.upper), vr = leafValue(gr, hr, node.lower, node.upper)
        if (cst > 0 && vl > vr) || (cst < 0 && vl < vr) { return nil }
        return (parentLoss - gl * vl - gr * vr, vl, vr)
    }

    private func numericSplit(_ j: Int, _ hj: UnsafeMutablePointer<Double>, _ node: GrowingNode, _ parentLoss: Double,
                              _ best: inout SplitCandidate) {
        let bins = binning.binCount[j], hasMissing = data.hasMissing[j]
        let minLeaf = Double(parameters.minSamplesLeaf), minHess = parameters.minHessianLeaf
        let total = Double(node.count), cst = parameters.monotonic[j]
        // Missing values go right: thresholds after bins 0…b, and (with missing values) all non-missing left.
        var gl = 0.0, hl = 0.0, cl = 0.0
        let end = bins - 1 + (hasMissing ? 1 : 0)
        var b = 0
        while b < end {
            gl += hj[3 * b]; hl += hj[3 * b + 1]; cl += hj[3 * b + 2]
            defer { b += 1 }
            if cl < minLeaf || hl < minHess { continue }
            if total - cl < minLeaf || node.sumH - hl < minHess { break }
            if let s = gain(gl, hl, node, parentLoss, cst), s.gain > best.gain {
                best = SplitCandidate(gain: s.gain, feature: j, bin: b, missingLeft: false, isCategorical: false,
                                      leftG: gl, leftH: hl, leftCount: cl, leftValue: s.left, rightValue: s.right)
            }
        }
        guard hasMissing, bins >= 2 else { return }
        // Missing values go left: right holds bins b+1…, left the rest with the missing bin.
        var gr = 0.0, hr = 0.0, cr = 0.0
        b = bins - 2
        while b >= 0 {
            gr += hj[3 * (b + 1)]; hr += hj[3 * (b + 1) + 1]; cr += hj[3 * (b + 1) + 2]
            defer { b -= 1 }
            if cr < minLeaf || hr < minHess { continue }
            if total - cr < minLeaf || node.sumH - hr < minHess { break }
            let gl = node.sumG - gr, hl = node.sumH - hr
            if let s = gain(gl, hl, node, parentLoss, cst), s.gain > best.gain {
                best = SplitCandidate(gain: s.gain, feature: j, bin: b, missingLeft: true, isCategorical: false,
                                      leftG: gl, leftH: hl, leftCount: total - cr, leftValue: s.left, rightValue: s.right)
            }
        }
    }

    /// Categories (and the missing bin) with support are sorted by `G / (H + 10)`; the split
    /// puts a prefix of that order left, the prefix from either end, up to half the categories
    /// (scikit-learn's and LightGBM's gradient-sorted partition).
    private func categoricalSplit(_ j: Int, _ hj: UnsafeMutablePointer<Double>, _ node: GrowingNode, _ parentLoss: Double,
                                  _ best: inout SplitCandidate) {
        let support = 10.0
        var used: [(bin: Int, ratio: Double)] = []
        for b in 0..<binning.binCount[j] where hj[3 * b + 1] >= support && hj[3 * b + 2] > 0 {
            used.append((b, hj[3 * b] / (hj[3 * b + 1] + support)))
        }
        let m = HistogramBinning.missingBin
        if data.hasMissing[j], hj[3 * m + 1] >= support, hj[3 * m + 2] > 0 {
            used.append((m, hj[3 * m] / (hj[3 * m + 1] + support)))
        }
        guard used.count > 1 else { return }
        used.sort { $0.ratio < $1.ratio || ($0.ratio == $1.ratio && $0.bin < $1.bin) }
        let minLeaf = Double(parameters.minSamplesLeaf), minHess = parameters.minHessianLeaf
        let total = Double(node.count), half = (used.count + 1) / 2
        for forward in [true, false] {
            var gl = 0.0, hl = 0.0, cl = 0.0
            for i in 0..<min(half, used.count - 1) {
                let b = used[forward ? i : used.count - 1 - i].bin
                gl += hj[3 * b]; hl += hj[3 * b + 1]; cl += hj[3 * b + 2]
                if cl < minLeaf || hl < minHess { continue }
                if total - cl < minLeaf || node.sumH - hl < minHess { break }
                if let s = gain(gl, hl, node, parentLoss, 0), s.gain > best.gain {
                    var c = SplitCandidate(gain: s.gain, feature: j, bin: 0, missingLeft: false, isCategorical: true,
                                           leftG: gl, leftH: hl, leftCount: cl, leftValue: s.left, rightValue: s.right)
                    for k in 0...i {
                        let bin = used[forward ? k : used.count - 1 - k].bin
                        c.setLeft(bin)
                        if bin == m { c.missingLeft = true }
                    }
                    best = c
                }
            }
        }
    }
}
