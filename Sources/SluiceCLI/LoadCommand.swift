import ArgumentParser
import Foundation
import SluiceCSV
import SluiceFrame
import SluicePostgres

/// Options shared by the commands that talk to PostgreSQL: which database.
public struct DatabaseOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The PostgreSQL connection string (URL or keyword form).", discussion:
        "Default: DATABASE_URL, else libpq's PG* variables (PGHOST, PGDATABASE, PGSERVICE, …, and .pgpass), else the project's throwaway cluster. Passwords are never printed.",
        valueName: "url"))
    var databaseURL: String?

    /// Creates the options; ArgumentParser fills them in.
    public init() {}

    /// The configuration these options name (may start the throwaway cluster).
    func configuration() async throws -> PostgresConfiguration {
        if let databaseURL { return PostgresConfiguration(databaseURL) }
        return PostgresConfiguration(try await DatabaseTarget.resolve())
    }
}

/// `sluice load FILE.csv --table NAME`: a CSV file into a PostgreSQL table, through the CSV
/// reader and the binary COPY writer, in one transaction.
///
/// Into an existing table, each CSV column is read as its target column's type (see
/// ``SluicePostgres/PostgresColumn/readType``), and a value that would change on the way (a
/// fraction into an integer column, a time into a date) is refused before any row is written,
/// naming the column, both types and the CSV line.
///
/// Exit statuses: 0; 64 bad options; 65 bad CSV data, a refused value, row or name (the error
/// names the line and column), a repeated upsert key (both lines); 66 missing file;
/// 69 database unreachable or connection lost; 75 statement or lock timeout; 77 a missing
/// privilege (the error names the grant); 78 wrong credentials or connection string.
public struct LoadCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load a CSV file into a PostgreSQL table (all rows or none).",
        discussion: """
            Modes: create (the default; fails if the table exists), append, replace (TRUNCATE and \
            load in one transaction), upsert (needs --key; insert new keys, update existing ones). \
            A missing table is created with the CSV's inferred types, and with --key as its primary key.
            """
    )

    @Argument(help: "The CSV file (with a header row); - is standard input.")
    var file: String

    @OptionGroup var csv: CSVReadOptionGroup

    @Option(help: "The target table (used exactly as written: case and punctuation kept).")
    var table: String

    @Option(help: "The table's schema (default: the search path).")
    var schema: String?

    @Option(help: "create, append, replace or upsert.")
    var mode: String = "create"

    @Option(name: .customLong("key"), parsing: .upToNextOption, help: "Key column(s): the upsert conflict target and the primary key of a created table.")
    var keys: [String] = []

    @OptionGroup var database: DatabaseOptions

    /// Creates the command; ArgumentParser fills in its arguments.
    public init() {}

    /// Checks the mode and that upsert has keys.
    public func validate() throws {
        guard let mode = WriteMode(rawValue: mode) else {
            throw ValidationError("--mode must be one of \(WriteMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(self.mode)'")
        }
        if mode == .upsert && keys.isEmpty { throw ValidationError("--mode upsert needs --key COLUMN") }
    }

    /// Reads the file, then writes it in one transaction.
    public func run() async throws {
        do {
            try await load(readOptions: csv.readOptions())
        } catch {
            throw ExitCodes.report(error)
        }
    }
}
