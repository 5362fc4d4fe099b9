import Foundation
import SluiceCompute

/// The small scikit-learn datasets (iris, wine, breast_cancer, diabetes, digits) kept in
/// `Tests/Data` for parity tests: numeric feature columns, then a `target` column.
public struct Dataset: Sendable {
    public var featureNames: [String]
    public var features: Matrix<Double>
    /// The target column as text (class names, or numbers for diabetes).
    public var target: [String]

    /// Loads `Tests/Data/NAME.csv`. These files are plain (no quoting), so a split on commas
    /// is enough; the CSV connector has its own tests.
    public static func load(_ name: String) throws -> Dataset {
        let url = Fixtures.repositoryRoot.appendingPathComponent("Tests/Data/\(name).csv")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        guard let header = lines.first else { throw CocoaError(.fileReadCorruptFile) }
        let rows = lines.dropFirst()
        let p = header.count - 1
        var values = [Double]()
        values.reserveCapacity(rows.count * p)
        var target = [String]()
        for row in rows {
            for j in 0..<p { values.append(Double(row[j]) ?? .nan) }
            target.append(String(row[p]))
        }
        return Dataset(featureNames: header.dropLast().map(String.init),
                       features: Matrix(rows: rows.count, columns: p, elements: values), target: target)
    }

    /// The features standardised to mean 0 and (population) standard deviation 1 per
    /// column, as scikit-learn's `StandardScaler`.
    public var standardizedFeatures: Matrix<Double> {
        let means = features.columnMeans(), sd = features.columnVariances().map { $0.squareRoot() }
        var x = features
        x.withUnsafeMutableBufferPointer { b in
            for i in 0..<features.rows {
                for j in 0..<features.columns { b[i * features.columns + j] = (b[i * features.columns + j] - means[j]) / sd[j] }
            }
        }
        return x
    }
}
