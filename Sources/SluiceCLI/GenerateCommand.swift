import ArgumentParser
import Foundation
import SluiceDatasets

/// `sluice generate churn`: writes the synthetic churn table used by the demo and the benchmarks.
public struct GenerateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a synthetic dataset as CSV.",
        subcommands: [Churn.self]
    )

    public init() {}

    /// `sluice generate churn --rows N --output FILE`.
    public struct Churn: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "The customer-churn table: numeric, categorical and date columns, missing values, "
                + "outliers, an ~8% positive label and ~20% unlabelled rows to score."
        )

        @Option(parsing: .unconditional, help: "Number of rows.")
        var rows = 100_000

        @Option(help: "Where to write the CSV.")
        var output: String

        @Option(help: "Seed of the random stream: the same seed gives the same file.")
        var seed: UInt64 = 7

        @Option(help: "Fraction of rows left unlabelled (to score).")
        var unlabeledFraction = 0.2

        public init() {}

        public func validate() throws {
            guard rows >= 0 else { throw ValidationError("--rows must not be negative") }
            guard (0...1).contains(unlabeledFraction) else {
                throw ValidationError("--unlabeled-fraction must be between 0 and 1")
            }
        }

        public func run() throws {
            do {
                try ChurnGenerator(rows: rows, seed: seed, unlabeledFraction: unlabeledFraction).writeCSV(toPath: output)
            } catch {
                throw ExitCodes.report(error)
            }
            print("wrote \(rows) rows to \(output)")
        }
    }
}
