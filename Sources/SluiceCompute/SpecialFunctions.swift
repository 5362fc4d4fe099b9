import Foundation

/// Special functions the selectors need, in double precision.
public enum SpecialFunctions {
    /// The survival function of the F distribution, `P(F(d1, d2) > f)` (scipy's `fdtrc`):
    /// the regularised incomplete beta `I_x(d2/2, d1/2)` at `x = d2 / (d2 + d1·f)`.
    public static func fSurvival(_ f: Double, _ d1: Double, _ d2: Double) -> Double {
        guard !f.isNaN, d1 > 0, d2 > 0 else { return .nan }
        if f <= 0 { return 1 }
        if f == .infinity { return 0 }
        return incompleteBeta(d2 / 2, d1 / 2, d2 / (d2 + d1 * f))
    }

    /// The regularised incomplete beta function `I_x(a, b)` (Lentz's continued fraction).
    public static func incompleteBeta(_ a: Double, _ b: Double, _ x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x))
        if x < (a + 1) / (a + b + 2) { return front * betaFraction(a, b, x) / a }
        return 1 - front * betaFraction(b, a, 1 - x) / b
    }

    private static func betaFraction(_ a: Double, _ b: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }

    /// The digamma function ψ(x) for x > 0 (recurrence up to 6, then the asymptotic series).
    public static func digamma(_ x: Double) -> Double {
        var x = x, result = 0.0
        while x < 6 {
            result -= 1 / x
            x += 1
        }
        let f = 1 / (x * x)
        let series = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))))
        return result + log(x) - 0.5 / x - series
    }
}
