import SluiceCompute

extension Quantiles {
    /// The values of `v` that are not `NaN`, sorted; throws on an infinity.
    static func sortedFinite(_ v: [Double], stage: String, column: String) throws -> [Double] {
        var s = [Double]()
        s.reserveCapacity(v.count)
        for x in v where !x.isNaN {
            guard x.isFinite else {
                throw PipelineError.invalidValue(stage: stage, column: column, reason: "holds an infinite value; clip or drop it first")
            }
            s.append(x)
        }
        s.sort()
        return s
    }
}
