import CSluiceKernels
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
    /// The share of features drawn for each tree, and of those again at each split (1: all).
    var featureFraction: Double = 1
    var nodeFeatureFraction: Double = 1

    /// Whether the grower draws features (and so needs a generator).
    var samplesFeatures: Bool { featureFraction < 1 || nodeFeatureFraction < 1 }

    /// The number of features drawn from `count` with `fraction`: `ceil(fraction · count)`, at least 1.
    static func drawn(_ fraction: Double, of count: Int) -> Int {
        min(count, max(1, Int((fraction * Double(count)).rounded(.up))))
    }
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
    /// Which of the grower's row buffers holds the node's rows (0: the root's, in original order).
    var buffer = 0
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
    /// The leaves: their output index, and their rows' range in the grower's row buffer `buffer`
    /// (``BoostingTreeGrower/rows(of:)``).
    var leaves: [(output: Int, start: Int, count: Int, buffer: Int)] = []

    mutating func append(value: Double, cover: Double) -> Int {
        features.append(-1); left.append(-1); right.append(-1); missingLeft.append(false); categorySets.append(-1)
        thresholds.append(0); values.append(value); covers.append(cover); gains.append(0)
        return features.count - 1
    }
}

/// Grows boosted trees leaf-wise (best gain first) on binned features, with histograms of
/// (gradient, hessian, count) per feature and bin: the smaller child's histogram is built
/// from its rows, the larger one's is its parent's minus the smaller's, in the parent's slot.
///
/// The grower keeps every row's bins, original index and gradient pair in *node order*:
/// partitioning a node moves its rows so that each child's rows are one contiguous range
/// (LightGBM's ordered gradients, with the bins moved along), so building a histogram reads
/// memory sequentially. The root's rows are the first buffer, in original order, read-only, with
/// the tree's gradients as given; its children's rows go to the second buffer, and from then on
/// a node's rows move between the second and the third, straight to their places. So a tree
/// starts with no gather of its gradients and no copy of the last tree's rows, and each node's
/// rows are in increasing original order. Histograms are built in fixed blocks of rows, in
/// parallel; all buffers are allocated once and reused by every node and every tree.
final class BoostingTreeGrower {
    let binning: HistogramBinning
    let parameters: GrowerParameters
    /// Rows, histogram columns (features after bundling), features.
    let n: Int, p: Int, features: Int
    /// Per feature: its histogram column, whether the rows miss it.
    let columnOf: [Int], hasMissing: [Bool]
    /// Per feature sharing its column: its bin from each value of the column's byte.
    let decode: [[UInt8]?]
    /// Bytes per row of ``bins``: the columns, at least 8 (no padding to whole words: a
    /// partition moves every row's bins, so each padding byte costs memory traffic).
    let rowStride: Int
    /// The rows: the root's in original order (with no gradients of its own: the tree's are
    /// used), then two buffers in node order, a partition moving a node's rows from one to the other.
    private let buffers: [BoostingRows]
    /// The gradient pairs of the tree being grown, in original order.
    private var gradients: UnsafePointer<SIMD2<Float>>?
    /// One feature's histogram, its margin of a shared column.
    private let expanded = BoostBuffer<Double>(count: BoostingTreeGrower.stride, repeating: 0)
    /// Four numbers per piece of one partition (see ``partition(_:_:)``).
    let partitionCounts: BoostBuffer<Int>
    /// Partial histograms of the row blocks of one build.
    let partials: BoostBuffer<Double>
    /// Histogram slots: `p × 256` entries of ``entry`` doubles each.
    private var slots: [BoostBuffer<Double>] = []
    private var free: [Int] = []
    /// Doubles per histogram entry: gradient, hessian, count and a pad, so that adding a row to
    /// an entry is one vector add of 4 doubles (`sluice_boost_histogram`).
    static let entry = 4
    static let stride = 256 * entry
    /// The pieces a node's partition and histogram build are cut into.
    let threads: Int
    /// Draws the features of each tree and split (when the parameters ask for it).
    private var generator: SeededGenerator
    /// The features the current tree may split on, in increasing order.
    private var treeFeatures: [Int]

    /// Takes the binned rows over (in their original order); `data` is not needed after.
    /// `threads` is the number of pieces the work of a node is cut into (the tree is the same
    /// whatever it is).
    init(data: BoostingBinnedFeatures, binning: HistogramBinning, parameters: GrowerParameters,
         generator: SeededGenerator = SeededGenerator(seed: 0), threads: Int = Parallel.threadCount) {
        self.threads = max(1, threads)
        self.binning = binning
        self.generator = generator
        treeFeatures = Array(0..<data.features)
        self.parameters = parameters
        n = data.rows
        p = data.columns
        features = data.features
        columnOf = data.columnOf
        decode = data.decode
        hasMissing = data.hasMissing
        rowStride = max(8, data.columns)
        buffers = [BoostingRows(count: n, stride: rowStride, gradients: false),
                   BoostingRows(count: n, stride: rowStride), BoostingRows(count: n, stride: rowStride)]
        let first = buffers[0]
        for i in 0..<n {
            (first.bins.pointer + i * rowStride).update(from: data.bins.pointer + i * data.columns, count: data.columns)
            first.indices[i] = Int32(i)
        }
        partitionCounts = BoostBuffer(count: 4 * max(2, self.threads), repeating: 0)
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

    /// The original rows of a leaf of the tree last grown, in increasing order.
    func rows(of leaf: (output: Int, start: Int, count: Int, buffer: Int)) -> UnsafeBufferPointer<Int32> {
        UnsafeBufferPointer(start: buffers[leaf.buffer].indices.pointer + leaf.start, count: leaf.count)
    }

    /// Where the rows of a node in `buffer` are: their bins, original indices and gradients.
    private func source(_ buffer: Int) -> (bins: UnsafeMutablePointer<UInt8>, indices: UnsafeMutablePointer<Int32>,
                                           gradients: UnsafePointer<SIMD2<Float>>) {
        let b = buffers[buffer]
        return (b.bins.pointer, b.indices.pointer, buffer == 0 ? gradients! : UnsafePointer(b.gradients.pointer))
    }

    /// Rows per block of the root's sums.
    private static let sumRows = 65_536

    /// The sums of `gh` over all rows: per block of ``sumRows`` in parallel, then the blocks in
    /// order, so the sums are the same whatever the thread count.
    private func totals(_ gh: UnsafePointer<SIMD2<Float>>) -> (g: Double, h: Double) {
        let n = self.n, rows = Self.sumRows, blocks = (n + rows - 1) / rows
        let sums = BoostBuffer<SIMD2<Double>>(count: blocks, repeating: .zero)
        let shared = BoostUnchecked(gh)
        Parallel.forEachChunk(of: blocks, minimumChunk: 1) { range in
            for block in range {
                var s = SIMD2<Double>.zero
                for i in (block * rows)..<min(n, (block + 1) * rows) {
                    s += SIMD2(Double(shared.value[i].x), Double(shared.value[i].y))
                }
                sums[block] = s
            }
        }
        var total = SIMD2<Double>.zero
        for block in 0..<blocks { total += sums[block] }
        return (total.x, total.y)
    }

    /// Grows one tree on the gradient pairs `gh` (one per original row, read until the next
    /// call). The tree's leaves name their rows through ``rows(of:)``.
    func grow(gradients gh: UnsafePointer<SIMD2<Float>>) -> GrownTree {
        gradients = gh
        if parameters.featureFraction < 1 {
            treeFeatures = generator.sample(GrowerParameters.drawn(parameters.featureFraction, of: features),
                                            from: features).sorted()
        }
        let (sumG, sumH) = totals(gh)
        var tree = GrownTree()
        var root = GrowingNode(start: 0, count: n, sumG: sumG, sumH: sumH, depth: 0,
                               value: leafValue(sumG, sumH, -.infinity, .infinity), output: 0)
        root.output = tree.append(value: root.value * parameters.learningRate, cover: Double(n))
        var open = [GrowingNode]()
        var leaves = 1
        let maxLeaves = parameters.maxLeafNodes ?? Int.max
        if canSplit(root) && maxLeaves > 1 {
            root.slot = takeSlot()
            build(slot: root.slot, start: 0, count: n, buffer: 0)
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
            let leftCount = partition(node, split)
            let l = node.start + leftCount, r = node.count - leftCount
            var left = GrowingNode(start: node.start, count: leftCount, sumG: split.leftG, sumH: split.leftH,
                                   depth: node.depth + 1, value: split.leftValue, output: 0)
            var right = GrowingNode(start: l, count: r, sumG: node.sumG - split.leftG, sumH: node.sumH - split.leftH,
                                    depth: node.depth + 1, value: split.rightValue, output: 0)
            left.buffer = node.buffer == 1 ? 2 : 1
            right.buffer = left.buffer
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
                build(slot: smallSlot, start: small.start, count: small.count, buffer: small.buffer)
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

    /// Rows per piece of a partition, at least, for the pieces to run on their own threads (a
    /// piece must outweigh waking a thread: a few nanoseconds a row against tens of microseconds).
    static let partitionPiece = 16_384

    /// Partitions the node's rows stably into the other buffer, with their bins, indices and
    /// gradients: left rows first, then right rows, each in order; returns the number of left
    /// rows. The number of left rows is the split's left count (exact: a sum of counts of 1),
    /// so the node's rows are cut into pieces, one per thread, with no pass to count them: the
    /// first pieces' left and right rows are written forward from the two parts' starts (each
    /// piece after the first its place from the counted left rows of the pieces before it), and
    /// the last piece's backward from the two parts' ends, so that only `pieces − 2` of them
    /// are counted first. A stable partition is unique: the result does not depend on the pieces.
    private func partition(_ node: GrowingNode, _ split: SplitCandidate) -> Int {
        let f = split.feature, column = columnOf[f], decode = decode[f]
        // The side of each value of the column's byte (a shared column's value mapped to the feature's bin).
        var side = [UInt8](repeating: 0, count: 256)
        for v in 0..<256 { side[v] = split.goesLeft(decode?[v] ?? UInt8(v)) ? 1 : 0 }
        let start = node.start, count = node.count, stride = rowStride
        let leftTotal = Int(split.leftCount)
        precondition(Double(leftTotal) == split.leftCount && (0...count).contains(leftTotal),
                     "a split's left count is a whole number of the node's rows")
        let pieces = min(threads, max(1, count / Self.partitionPiece))
        // Per piece: its counted left rows, where its left and its right rows start, where its left rows ended.
        let counted = partitionCounts.pointer, leftStart = counted + pieces, rightStart = leftStart + pieces
        let ended = rightStart + pieces
        let from = source(node.buffer), to = buffers[node.buffer == 1 ? 2 : 1]
        let shared = BoostUnchecked((counted, leftStart, rightStart, ended))
        func bounds(_ k: Int) -> (lo: Int, hi: Int) { (start + count * k / pieces, start + count * (k + 1) / pieces) }
        side.withUnsafeBufferPointer { sides in
            let table = BoostUnchecked(sides.baseAddress!)
            if pieces > 2 {  // the left rows of every piece but the last two
                Parallel.forEachChunk(of: pieces - 2, minimumChunk: 1) { range in
                    for k in range {
                        let (lo, hi) = bounds(k)
                        shared.value.0[k] = sluice_boost_count_left(table.value, from.bins, stride, column, lo, hi)
                    }
                }
            }
            var leftAt = start, rightAt = start + leftTotal
            for k in 0..<max(1, pieces - 1) {  // the forward pieces
                leftStart[k] = leftAt
                rightStart[k] = rightAt
                if k < pieces - 2 {
                    let (lo, hi) = bounds(k)
                    leftAt += counted[k]
                    rightAt += hi - lo - counted[k]
                }
            }
            Parallel.forEachChunk(of: pieces, minimumChunk: 1) { range in
                let (_, leftStart, rightStart, ended) = shared.value
                let gh = UnsafeRawPointer(from.gradients).assumingMemoryBound(to: UInt64.self)
                let outGh = UnsafeMutableRawPointer(to.gradients.pointer).assumingMemoryBound(to: UInt64.self)
                for k in range {
                    let (lo, hi) = bounds(k)
                    let backward = pieces > 1 && k == pieces - 1
                    ended[k] = sluice_boost_partition(
                        table.value, column, from.bins, from.indices, gh, stride, lo, hi,
                        backward ? 1 : 0, backward ? start + leftTotal : leftStart[k],
                        backward ? start + count : rightStart[k], to.bins.pointer, to.indices.pointer, outGh)
                }
            }
        }
        // The forward pieces' left rows end where the backward piece's begin.
        precondition(pieces == 1 ? ended[0] == start + leftTotal : ended[pieces - 2] == ended[pieces - 1],
                     "the partition's pieces meet")
        return leftTotal
    }

    private func finishLeaf(_ node: GrowingNode, _ tree: inout GrownTree) {
        tree.leaves.append((node.output, node.start, node.count, node.buffer))
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
    /// The fewest rows whose histograms are built by groups of columns on several threads.
    static let groupedRows = 4_096

    /// Builds the histograms of the rows at positions `start ..< start+count` into `slot`,
    /// row-wise and sequentially: each row's gradient pair is read once and added to the bin of
    /// each of its columns (by the C kernel `sluice_boost_histogram`). The work is cut into
    /// tasks of one block and a group of columns (groups when the blocks alone would not keep
    /// every thread busy): each entry's sum is the same whatever the groups and threads.
    private func build(slot: Int, start: Int, count: Int, buffer: Int) {
        let hist = slots[slot].pointer
        let size = p * Self.stride, p = self.p, stride = rowStride
        let blocks = max(1, (count + Self.blockRows - 1) / Self.blockRows)
        let groups = count < Self.groupedRows || blocks % threads == 0 ? 1 : min(p, threads)
        let partial = blocks == 1 ? hist : partials.pointer
        let source = source(buffer)
        let shared = BoostUnchecked((source.gradients + start, UnsafePointer(source.bins + start * stride)))
        Parallel.forEachChunk(of: blocks * groups, minimumChunk: 1) { range in
            let (gh, bins) = shared.value
            for task in range {
                let block = task / groups, group = task % groups
                let first = p * group / groups, end = p * (group + 1) / groups
                let out = partial + block * size + first * Self.stride
                out.initialize(repeating: 0, count: (end - first) * Self.stride)
                let lo = block * Self.blockRows, hi = min(count, lo + Self.blockRows)
                UnsafeRawPointer(gh + lo).withMemoryRebound(to: Float.self, capacity: 2 * (hi - lo)) { pairs in
                    sluice_boost_histogram(pairs, bins + lo * stride + first, stride, hi - lo, end - first, out)
                }
            }
        }
        guard blocks > 1 else { return }
        let sums = BoostUnchecked(partial)
        Parallel.forEachChunk(of: size, minimumChunk: max(4096, size * 8 / blocks)) { range in
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
        var candidates = treeFeatures
        if parameters.nodeFeatureFraction < 1 {
            candidates = generator.sample(GrowerParameters.drawn(parameters.nodeFeatureFraction, of: candidates.count),
                                          from: candidates.count).sorted().map { treeFeatures[$0] }
        }
        for j in candidates {
            var hj = hist + columnOf[j] * Self.stride
            if let decode = decode[j] {  // a shared column: the feature's histogram is its margin
                let e = expanded.pointer
                e.update(repeating: 0, count: Self.stride)
                for v in 0..<256 {
                    let src = hj + Self.entry * v, dst = e + Self.entry * Int(decode[v])
                    dst[0] += src[0]; dst[1] += src[1]; dst[2] += src[2]
                }
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
        let bins = binning.binCount[j], hasMissing = hasMissing[j]
        let minLeaf = Double(parameters.minSamplesLeaf), minHess = parameters.minHessianLeaf
        let total = Double(node.count), cst = parameters.monotonic[j]
        // Missing values go right: thresholds after bins 0…b, and (with missing values) all non-missing left.
        var gl = 0.0, hl = 0.0, cl = 0.0
        let end = bins - 1 + (hasMissing ? 1 : 0)
        var b = 0
        while b < end {
            let e = hj + Self.entry * b
            gl += e[0]; hl += e[1]; cl += e[2]
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
            let e = hj + Self.entry * (b + 1)
            gr += e[0]; hr += e[1]; cr += e[2]
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
        let w = Self.entry
        for b in 0..<binning.binCount[j] where hj[w * b + 1] >= support && hj[w * b + 2] > 0 {
            used.append((b, hj[w * b] / (hj[w * b + 1] + support)))
        }
        let m = HistogramBinning.missingBin
        if hasMissing[j], hj[w * m + 1] >= support, hj[w * m + 2] > 0 {
            used.append((m, hj[w * m] / (hj[w * m + 1] + support)))
        }
        guard used.count > 1 else { return }
        used.sort { $0.ratio < $1.ratio || ($0.ratio == $1.ratio && $0.bin < $1.bin) }
        let minLeaf = Double(parameters.minSamplesLeaf), minHess = parameters.minHessianLeaf
        let total = Double(node.count), half = (used.count + 1) / 2
        for forward in [true, false] {
            var gl = 0.0, hl = 0.0, cl = 0.0
            for i in 0..<min(half, used.count - 1) {
                let b = used[forward ? i : used.count - 1 - i].bin
                let e = hj + Self.entry * b
                gl += e[0]; hl += e[1]; cl += e[2]
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

/// One of the grower's row buffers: each position's bins (`stride` bytes), original row index
/// and gradient pair (none in the root's buffer).
final class BoostingRows: @unchecked Sendable {
    let bins: BoostBuffer<UInt8>
    let indices: BoostBuffer<Int32>
    let gradients: BoostBuffer<SIMD2<Float>>

    init(count: Int, stride: Int, gradients: Bool = true) {
        bins = BoostBuffer(count: count * stride, repeating: 0)
        indices = BoostBuffer(count: count, repeating: 0)
        self.gradients = BoostBuffer(count: gradients ? count : 0, repeating: .zero)
    }
}
