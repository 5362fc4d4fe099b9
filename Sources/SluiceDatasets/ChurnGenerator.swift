import Foundation
import SluiceCompute
import SluiceFrame

/// The synthetic customer-churn table Sluice benchmarks and demos run on.
///
/// It has the columns and distributions of the reference generator
/// (`gen_churn.py`, numpy): numeric, categorical and date columns, missing values,
/// outliers, an imbalanced label (about 8 % positive) and about 20 % unlabelled rows to
/// score. Draws come from ``SeededGenerator`` row by row, so the same seed always gives
/// the same file, and a table of any size is written in constant memory.
///
/// | column | distribution | missing |
/// |---|---|---|
/// | `customer_id` | 1…n | — |
/// | `age` | N(42, 12) clipped to [18, 95], 1 decimal | 5 % |
/// | `tenure_months` | Gamma(2, 18), 2 decimals | 3 % |
/// | `monthly_charges` | LogNormal(3.8, 0.45), ×40 for 0.2 % (outliers), 2 decimals | 2 % |
/// | `support_calls` | Poisson(3) | — |
/// | `usage_gb` | Gamma(1.5, 10), 3 decimals | 8 % |
/// | `late_payments` | Poisson(0.4) | — |
/// | `plan` | basic/standard/premium/family at 40/30/20/10 % | 4 % |
/// | `region` | r00…r11, uniform | 1 % |
/// | `contract` | monthly/annual/two-year at 55/30/15 % | — |
/// | `signup_date` | uniform over the 3650 days from 2015-01-01 | — |
/// | `churned` | Bernoulli(σ(z)) with the reference's logit `z` | 20 % (rows to score) |
public struct ChurnGenerator: Sendable {
    /// Rows to generate.
    public var rows: Int
    /// The seed of the row stream.
    public var seed: UInt64
    /// The fraction of rows whose label is left empty (rows to score).
    public var unlabeledFraction: Double

    /// The header of the generated CSV, in column order.
    public static let columns = ["customer_id", "age", "tenure_months", "monthly_charges", "support_calls",
                                 "usage_gb", "late_payments", "plan", "region", "contract", "signup_date", "churned"]

    static let plans = ["basic", "standard", "premium", "family"]
    static let regions = (0..<12).map { $0 < 10 ? "r0\($0)" : "r\($0)" }
    static let contracts = ["monthly", "annual", "two-year"]

    public init(rows: Int, seed: UInt64 = 7, unlabeledFraction: Double = 0.2) {
        self.rows = rows
        self.seed = seed
        self.unlabeledFraction = unlabeledFraction
    }

    /// Writes the table as CSV (header, LF line ends, empty fields for missing values).
    /// The file appears complete or not at all: rows stream through an ``AtomicFile`` in
    /// 1 MiB chunks (a visibly named temporary file beside it, renamed into place at the
    /// end), and a directory, device, FIFO or socket at `url` is refused untouched.
    ///
    /// - Throws: ``AtomicFileError`` naming the path and the reason (exit 73 or 74).
    public func writeCSV(to url: URL) throws(AtomicFileError) {
        try writeCSV(toPath: url.path)
    }

    /// Writes the table as CSV to `path`, as ``writeCSV(to:)`` does (an empty path is refused).
    public func writeCSV(toPath path: String) throws(AtomicFileError) {
        let file = try AtomicFile(path: path)
        var buffer = [UInt8]()
        buffer.reserveCapacity(1 << 20)
        buffer.append(contentsOf: Array((Self.columns.joined(separator: ",") + "\n").utf8))
        var rng = SeededGenerator(seed: seed)
        for index in 0..<max(rows, 0) {
            appendRow(id: index + 1, rng: &rng, to: &buffer)
            if buffer.count >= 1 << 20 {
                try file.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try file.write(buffer)
        try file.commit()
    }

    private func appendRow(id: Int, rng: inout SeededGenerator, to out: inout [UInt8]) {
        let age = min(max(rng.normal(mean: 42, standardDeviation: 12), 18), 95)
        let tenure = rng.gamma(shape: 2, scale: 18)
        var monthly = rng.logNormal(mu: 3.8, sigma: 0.45)
        if rng.nextDouble() < 0.002 { monthly *= 40 }
        let calls = Double(rng.poisson(mean: 3))
        let usage = rng.gamma(shape: 1.5, scale: 10)
        let late = Double(rng.poisson(mean: 0.4))
        let plan = rng.categorical([0.4, 0.3, 0.2, 0.1])
        let region = rng.nextInt(below: 12)
        let contract = rng.categorical([0.55, 0.3, 0.15])
        let signupDay = rng.nextInt(below: 3650)
        var z = -3.2 + (contract == 0 ? 0.9 : 0) - 0.025 * tenure + 0.35 * late + 0.12 * calls
        z += 0.004 * (monthly - 45) - 0.01 * (age - 42) + (plan == 0 ? 0.5 : 0) + rng.normal(mean: 0, standardDeviation: 0.8)
        let label = rng.nextDouble() < 1 / (1 + exp(-z))

        func field(_ text: String) {
            out.append(contentsOf: text.utf8)
            out.append(UInt8(ascii: ","))
        }
        func number(_ value: Double, decimals: Double, missing: Double) {
            field(rng.nextDouble() < missing ? "" : "\((value * decimals).rounded() / decimals)")
        }
        field("\(id)")
        number(age, decimals: 10, missing: 0.05)
        number(tenure, decimals: 100, missing: 0.03)
        number(monthly, decimals: 100, missing: 0.02)
        field("\(calls)")
        number(usage, decimals: 1000, missing: 0.08)
        field("\(late)")
        field(rng.nextDouble() < 0.04 ? "" : Self.plans[plan])
        field(rng.nextDouble() < 0.01 ? "" : Self.regions[region])
        field(Self.contracts[contract])
        field(CalendarDate.format(days: Int32(16436 + signupDay)))  // 16436: 2015-01-01
        out.append(contentsOf: (rng.nextDouble() < unlabeledFraction ? "" : (label ? "1.0" : "0.0")).utf8)
        out.append(UInt8(ascii: "\n"))
    }
}
