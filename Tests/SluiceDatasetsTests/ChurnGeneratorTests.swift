import Foundation
import Testing
import SluiceCSV
import SluiceFrame
import SluiceDatasets
import SluiceTestSupport

@Suite("The churn generator keeps the reference distributions")
struct ChurnGeneratorTests {
    static let frame: Frame? = {
        guard let dir = try? Fixtures.temporaryDirectory("churn") else { return nil }
        let url = dir.appendingPathComponent("churn.csv")
        try? ChurnGenerator(rows: 40_000, seed: 7).writeCSV(to: url)
        return try? CSVReader().read(path: url.path)
    }()

    @Test("columns and types as the reference generator writes them")
    func schema() throws {
        let f = try #require(Self.frame)
        #expect(f.columnNames == ChurnGenerator.columns)
        #expect(f.schema["customer_id"]?.type == .int64 && f.schema["signup_date"]?.type == .date)
        #expect(f.schema["plan"]?.type == .string && f.schema["churned"]?.type == .double)
    }

    @Test("missing-value rates, label balance and unlabelled share match gen_churn.py")
    func rates() throws {
        let f = try #require(Self.frame)
        let n = Double(f.rowCount)
        func nullRate(_ c: String) throws -> Double { Double(try f.column(c).nullCount) / n }
        for (column, rate) in [("age", 0.05), ("tenure_months", 0.03), ("monthly_charges", 0.02), ("usage_gb", 0.08),
                               ("plan", 0.04), ("region", 0.01), ("churned", 0.2)] {
            #expect(abs(try nullRate(column) - rate) < 0.01, "\(column)")
        }
        let labels = try f.doubles("churned"), valid = try f.validity("churned")
        let labelled = (0..<f.rowCount).filter { valid.isValid($0) }
        let positive = Double(labelled.filter { labels[$0] == 1 }.count) / Double(labelled.count)
        #expect(positive > 0.06 && positive < 0.10, "about 8% positive, got \(positive)")
        let age = try f.doubles("age"), ageValid = try f.validity("age")
        let ages = (0..<f.rowCount).filter { ageValid.isValid($0) }.map { age[$0] }
        #expect(ages.min()! >= 18 && ages.max()! <= 95)
        #expect(abs(ages.reduce(0, +) / Double(ages.count) - 42) < 0.5)
        let charges = try f.doubles("monthly_charges")
        #expect(charges.filter { $0 > 400 }.count > 20, "the ×40 outliers are there")
    }

    @Test("the same seed writes the same bytes; another seed does not")
    func deterministic() throws {
        let dir = try Fixtures.temporaryDirectory("churn-seed")
        let a = dir.appendingPathComponent("a.csv"), b = dir.appendingPathComponent("b.csv"), c = dir.appendingPathComponent("c.csv")
        try ChurnGenerator(rows: 2000, seed: 3).writeCSV(to: a)
        try ChurnGenerator(rows: 2000, seed: 3).writeCSV(to: b)
        try ChurnGenerator(rows: 2000, seed: 4).writeCSV(to: c)
        #expect(try Data(contentsOf: a) == Data(contentsOf: b))
        #expect(try Data(contentsOf: a) != Data(contentsOf: c))
    }
}
