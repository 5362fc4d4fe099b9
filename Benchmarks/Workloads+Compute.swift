import Sluice

/// GEMM throughput and element-wise kernels; the peer is numpy (with its own OpenBLAS).
///
/// Workload bodies are named functions over concrete types: the optimiser specialises
/// generic code there, which it does not always do inside nested closures.
let computeWorkloads: [Workload] = [1024, 2048].flatMap { n in
    [
        Workload(name: "gemm.sgemm.\(n)", summary: "C = A·B, \(n)×\(n) Float; peer numpy float32 matmul") {
            [gemmFigure(Float.self, n: n, name: "gemm.sgemm.\(n)", context: $0)]
        },
        Workload(name: "gemm.dgemm.\(n)", summary: "C = A·B, \(n)×\(n) Double; peer numpy float64 matmul") {
            [gemmFigure(Double.self, n: n, name: "gemm.dgemm.\(n)", context: $0)]
        },
    ]
} + ElementwiseFunction.allCases.filter { ![.log1p, .expm1].contains($0) }.map { f in
    Workload(name: "kernel.\(f).f64", summary: "\(f) over 4M doubles in place; peer numpy/scipy ufunc") {
        [unaryKernelFigure(f, context: $0)]
    }
} + [
    Workload(name: "kernel.add.f64", summary: "x += y over 4M doubles; peer numpy np.add(out=)") {
        [addKernelFigure(context: $0)]
    },
    Workload(name: "kernel.softmax.f64", summary: "row softmax of 4000×1000 doubles; peer scipy.special.softmax") {
        [softmaxFigure(context: $0)]
    },
]

private func gemmFigure<T: BLASScalar>(_: T.Type, n: Int, name: String, context: BenchContext) -> Figure {
    var rng = SeededGenerator(seed: 1)
    let a = Matrix<T>.uniform(rows: n, columns: n, using: &rng)
    let b = Matrix<T>.uniform(rows: n, columns: n, using: &rng)
    var c = Matrix<T>(rows: n, columns: n)
    c.gemm(a, b)  // warm up: threads, page faults
    let (seconds, rss) = Measure.best(repeats: max(context.repeats, 5)) { c.gemm(a, b) }
    blackHole(c)
    let flops = 2 * Double(n) * Double(n) * Double(n)
    return Figure(workload: name, seconds: seconds, rows: n, peakRSSMB: rss, extra: [("gflops", flops / seconds / 1e9)])
}

/// Element-wise kernels run on 4M doubles in place (numpy: `np.exp(x, out=x)` and friends).
private let kernelSize = 4_000_000

private func unaryKernelFigure(_ f: ElementwiseFunction, context: BenchContext) -> Figure {
    var rng = SeededGenerator(seed: 2)
    // Inputs uniform in [-4, 4), or [0.01, 8) for log (peers draw the same way).
    let x0 = Matrix<Double>.uniform(rows: 1, columns: kernelSize, in: f == .log ? 0.01..<8 : -4..<4, using: &rng)
    var x = x0
    let (seconds, rss) = Measure.best(repeats: max(context.repeats, 5), prepare: { x = x0 * 1 }) {
        x.apply(f)
    }
    return Figure(workload: "kernel.\(f).f64", seconds: seconds, rows: kernelSize, peakRSSMB: rss)
}

private func addKernelFigure(context: BenchContext) -> Figure {
    var rng = SeededGenerator(seed: 3)
    var x = Matrix<Double>.uniform(rows: 1, columns: kernelSize, using: &rng)
    let y = Matrix<Double>.uniform(rows: 1, columns: kernelSize, using: &rng)
    let (seconds, rss) = Measure.best(repeats: max(context.repeats, 5)) { x += y }
    return Figure(workload: "kernel.add.f64", seconds: seconds, rows: kernelSize, peakRSSMB: rss)
}

private func softmaxFigure(context: BenchContext) -> Figure {
    var rng = SeededGenerator(seed: 4)
    let x0 = Matrix<Double>.normal(rows: 4000, columns: 1000, using: &rng)
    var x = x0
    let (seconds, rss) = Measure.best(repeats: max(context.repeats, 5), prepare: { x = x0 * 1 }) { x.softmaxRows() }
    return Figure(workload: "kernel.softmax.f64", seconds: seconds, rows: 4000, peakRSSMB: rss)
}
