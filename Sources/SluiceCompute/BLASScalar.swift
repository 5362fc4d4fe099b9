import COpenBLAS
import CSluiceKernels

/// A floating-point type the compute core can hand to BLAS and LAPACK: `Float` or `Double`.
///
/// Each requirement is one BLAS or LAPACKE routine (the `s…` or `d…` variant). Matrices are
/// row-major, so every call passes `CblasRowMajor` / `LAPACK_ROW_MAJOR`.
public protocol BLASScalar: BinaryFloatingPoint, Codable, Sendable, CustomStringConvertible, VectorMath
where RawSignificand: FixedWidthInteger {
    /// The BLAS/LAPACK name prefix: `"s"` or `"d"`.
    static var blasPrefix: String { get }

    static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                     _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int,
                     _ b: UnsafePointer<Self>, _ ldb: Int,
                     _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    static func gemv(_ trans: Bool, _ m: Int, _ n: Int, _ alpha: Self,
                     _ a: UnsafePointer<Self>, _ lda: Int, _ x: UnsafePointer<Self>, _ incx: Int,
                     _ beta: Self, _ y: UnsafeMutablePointer<Self>, _ incy: Int)
    static func syrk(_ trans: Bool, _ n: Int, _ k: Int, _ alpha: Self,
                     _ a: UnsafePointer<Self>, _ lda: Int,
                     _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    static func axpy(_ n: Int, _ alpha: Self, _ x: UnsafePointer<Self>, _ incx: Int,
                     _ y: UnsafeMutablePointer<Self>, _ incy: Int)
    static func dot(_ n: Int, _ x: UnsafePointer<Self>, _ incx: Int,
                    _ y: UnsafePointer<Self>, _ incy: Int) -> Self
    static func nrm2(_ n: Int, _ x: UnsafePointer<Self>, _ incx: Int) -> Self
    static func scal(_ n: Int, _ alpha: Self, _ x: UnsafeMutablePointer<Self>, _ incx: Int)

    static func potrf(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int) -> Int32
    static func potrs(_ n: Int, _ nrhs: Int, _ a: UnsafePointer<Self>, _ lda: Int,
                      _ b: UnsafeMutablePointer<Self>, _ ldb: Int) -> Int32
    static func gesv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                     _ ipiv: UnsafeMutablePointer<Int32>, _ b: UnsafeMutablePointer<Self>, _ ldb: Int) -> Int32
    static func gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                      _ b: UnsafeMutablePointer<Self>, _ ldb: Int, _ s: UnsafeMutablePointer<Self>,
                      _ rcond: Self, _ rank: UnsafeMutablePointer<Int32>) -> Int32
    static func syevd(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                      _ w: UnsafeMutablePointer<Self>) -> Int32
    static func gesdd(_ job: UInt8, _ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                      _ s: UnsafeMutablePointer<Self>, _ u: UnsafeMutablePointer<Self>, _ ldu: Int,
                      _ vt: UnsafeMutablePointer<Self>, _ ldvt: Int) -> Int32
}

@inline(__always) func cblasTrans(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }
@inline(__always) func i32(_ v: Int) -> Int32 { Int32(truncatingIfNeeded: v) }
@inline(__always) func blasInt(_ v: Int) -> blasint { blasint(truncatingIfNeeded: v) }
let rowMajor = LAPACK_ROW_MAJOR
let upper = Int8(UInt8(ascii: "U"))

extension Double: BLASScalar {
    public static var blasPrefix: String { "d" }
    public static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                                       _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int,
                                       _ b: UnsafePointer<Double>, _ ldb: Int,
                                       _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func gemv(_ trans: Bool, _ m: Int, _ n: Int, _ alpha: Double,
                            _ a: UnsafePointer<Double>, _ lda: Int, _ x: UnsafePointer<Double>, _ incx: Int,
                            _ beta: Double, _ y: UnsafeMutablePointer<Double>, _ incy: Int) {
        cblas_dgemv(CblasRowMajor, cblasTrans(trans), blasInt(m), blasInt(n), alpha, a, blasInt(lda),
                    x, blasInt(incx), beta, y, blasInt(incy))
    }
    public static func syrk(_ trans: Bool, _ n: Int, _ k: Int, _ alpha: Double,
                            _ a: UnsafePointer<Double>, _ lda: Int,
                            _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, cblasTrans(trans), blasInt(n), blasInt(k), alpha, a, blasInt(lda),
                    beta, c, blasInt(ldc))
    }
    public static func axpy(_ n: Int, _ alpha: Double, _ x: UnsafePointer<Double>, _ incx: Int,
                            _ y: UnsafeMutablePointer<Double>, _ incy: Int) {
        cblas_daxpy(blasInt(n), alpha, x, blasInt(incx), y, blasInt(incy))
    }
    public static func dot(_ n: Int, _ x: UnsafePointer<Double>, _ incx: Int,
                           _ y: UnsafePointer<Double>, _ incy: Int) -> Double {
        Parallel.withSingleThreadedBLAS { cblas_ddot(blasInt(n), x, blasInt(incx), y, blasInt(incy)) }
    }
    public static func nrm2(_ n: Int, _ x: UnsafePointer<Double>, _ incx: Int) -> Double {
        Parallel.withSingleThreadedBLAS { cblas_dnrm2(blasInt(n), x, blasInt(incx)) }
    }
    public static func scal(_ n: Int, _ alpha: Double, _ x: UnsafeMutablePointer<Double>, _ incx: Int) {
        cblas_dscal(blasInt(n), alpha, x, blasInt(incx))
    }
    public static func potrf(_ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int) -> Int32 {
        Parallel.withSingleThreadedBLAS { LAPACKE_dpotrf(rowMajor, upper, i32(n), a, i32(lda)) }
    }
    public static func potrs(_ n: Int, _ nrhs: Int, _ a: UnsafePointer<Double>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Double>, _ ldb: Int) -> Int32 {
        Parallel.withSingleThreadedBLAS { LAPACKE_dpotrs(rowMajor, upper, i32(n), i32(nrhs), a, i32(lda), b, i32(ldb)) }
    }
    public static func gesv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                            _ ipiv: UnsafeMutablePointer<Int32>, _ b: UnsafeMutablePointer<Double>, _ ldb: Int) -> Int32 {
        Parallel.withSingleThreadedBLAS { LAPACKE_dgesv(rowMajor, i32(n), i32(nrhs), a, i32(lda), ipiv, b, i32(ldb)) }
    }
    public static func gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Double>, _ ldb: Int, _ s: UnsafeMutablePointer<Double>,
                             _ rcond: Double, _ rank: UnsafeMutablePointer<Int32>) -> Int32 {
        Parallel.withSingleThreadedBLAS { LAPACKE_dgelsd(rowMajor, i32(m), i32(n), i32(nrhs), a, i32(lda), b, i32(ldb), s, rcond, rank) }
    }
    public static func syevd(_ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                             _ w: UnsafeMutablePointer<Double>) -> Int32 {
        Parallel.withSingleThreadedBLAS { LAPACKE_dsyevd(rowMajor, Int8(UInt8(ascii: "V")), upper, i32(n), a, i32(lda), w) }
    }
    public static func gesdd(_ job: UInt8, _ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                             _ s: UnsafeMutablePointer<Double>, _ u: UnsafeMutablePointer<Double>, _ ldu: Int,
                             _ vt: UnsafeMutablePointer<Double>, _ ldvt: Int) -> Int32 {
        Parallel.withSingleThreadedBLAS { LAPACKE_dgesdd(rowMajor, Int8(job), i32(m), i32(n), a, i32(lda), s, u, i32(ldu), vt, i32(ldvt)) }
    }
}

extension Float: BLASScalar {
    public static var blasPrefix: String { "s" }
    public static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                                       _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                                       _ b: UnsafePointer<Float>, _ ldb: Int,
                                       _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func gemv(_ trans: Bool, _ m: Int, _ n: Int, _ alpha: Float,
                            _ a: UnsafePointer<Float>, _ lda: Int, _ x: UnsafePointer<Float>, _ incx: Int,
                            _ beta: Float, _ y: UnsafeMutablePointer<Float>, _ incy: Int) {
        cblas_sgemv(CblasRowMajor, cblasTrans(trans), blasInt(m), blasInt(n), alpha, a, blasInt(lda),
                    x, blasInt(incx), beta, y, blasInt(incy))
    }
    public static func syrk(_ trans: Bool, _ n: Int, _ k: Int, _ alpha: Float,
                            _ a: UnsafePointer<Float>, _ lda: Int,
                            _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, cblasTrans(trans), blasInt(n), blasInt(k), alpha, a, blasInt(lda),
                    beta, c, blasInt(ldc))
    }
    public static func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ incx: Int,
                            _ y: UnsafeMutablePointer<Float>, _ incy: Int) {
        cblas_saxpy(blasInt(n), alpha, x, blasInt(incx), y, blasInt(incy))
    }
    public static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ incx: Int,
                           _ y: UnsafePointer<Float>, _ incy: Int) -> Float {
        Parallel.withSingleThreadedBLAS { cblas_sdot(blasInt(n), x, blasInt(incx), y, blasInt(incy)) }
    }
    public static func nrm2(_ n: Int, _ x: UnsafePointer<Float>, _ incx: Int) -> Float {
        Parallel.withSingleThreadedBLAS { cblas_snrm2(blasInt(n), x, blasInt(incx)) }
    }
    public static func scal(_ n: Int, _ alpha: Float, _ x: UnsafeMutablePointer<Float>, _ incx: Int) {
        cblas_sscal(blasInt(n), alpha, x, blasInt(incx))
    }
    public static func potrf(_ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int) -> Int32 {
        Parallel.withSingleThreadedBLAS { LAPACKE_spotrf(rowMajor, upper, i32(n), a, i32(lda)) }
    }
    public static func potrs(_ n: Int, _ nrhs: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Float>, _ ldb: Int) -> Int32 {
        Parallel.withSingleThreadedBLAS { LAPACKE_spotrs(rowMajor, upper, i32(n), i32(nrhs), a, i32(lda), b, i32(ldb)) }
    }
    public static func gesv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                            _ ipiv: UnsafeMutablePointer<Int32>, _ b: UnsafeMutablePointer<Float>, _ ldb: Int) -> Int32 {
        Parallel.withSingleThreadedBLAS { LAPACKE_sgesv(rowMajor, i32(n), i32(nrhs), a, i32(lda), ipiv, b, i32(ldb)) }
    }
    public static func gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Float>, _ ldb: Int, _ s: UnsafeMutablePointer<Float>,
                             _ rcond: Float, _ rank: UnsafeMutablePointer<Int32>) -> Int32 {
        Parallel.withSingleThreadedBLAS { LAPACKE_sgelsd(rowMajor, i32(m), i32(n), i32(nrhs), a, i32(lda), b, i32(ldb), s, rcond, rank) }
    }
    public static func syevd(_ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                             _ w: UnsafeMutablePointer<Float>) -> Int32 {
        Parallel.withSingleThreadedBLAS { LAPACKE_ssyevd(rowMajor, Int8(UInt8(ascii: "V")), upper, i32(n), a, i32(lda), w) }
    }
    public static func gesdd(_ job: UInt8, _ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                             _ s: UnsafeMutablePointer<Float>, _ u: UnsafeMutablePointer<Float>, _ ldu: Int,
                             _ vt: UnsafeMutablePointer<Float>, _ ldvt: Int) -> Int32 {
        Parallel.withSingleThreadedBLAS { LAPACKE_sgesdd(rowMajor, Int8(job), i32(m), i32(n), a, i32(lda), s, u, i32(ldu), vt, i32(ldvt)) }
    }
}

/// The functions the C vector kernels compute in bulk.
public enum VectorFunction: Sendable, CaseIterable {
    case exp, log, tanh, expm1, log1p, relu
}

/// Bulk transcendental math through the vectorised kernels (libmvec, chosen by CPU).
public protocol VectorMath {
    /// `y[i] = f(x[i])` for `i < n`; `y` may equal `x`.
    static func vectorMath(_ f: VectorFunction, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int)
}


extension Double: VectorMath {
    public static func vectorMath(_ f: VectorFunction, _ x: UnsafePointer<Double>,
                                  _ y: UnsafeMutablePointer<Double>, _ n: Int) {
        switch f {
        case .exp: sluice_exp_f64(x, y, n)
        case .log: sluice_log_f64(x, y, n)
        case .tanh: sluice_tanh_f64(x, y, n)
        case .expm1: sluice_expm1_f64(x, y, n)
        case .log1p: sluice_log1p_f64(x, y, n)
        case .relu: sluice_relu_f64(x, y, n)
        }
    }
}

extension Float: VectorMath {
    public static func vectorMath(_ f: VectorFunction, _ x: UnsafePointer<Float>,
                                  _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch f {
        case .exp: sluice_exp_f32(x, y, n)
        case .log: sluice_log_f32(x, y, n)
        case .tanh: sluice_tanh_f32(x, y, n)
        case .expm1: sluice_expm1_f32(x, y, n)
        case .log1p: sluice_log1p_f32(x, y, n)
        case .relu: sluice_relu_f32(x, y, n)
        }
    }
}
