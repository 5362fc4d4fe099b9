import Foundation
import SluiceFrame

/// Runs blocking libpq work on a thread of its own, off Swift's cooperative pool (whose few
/// threads a blocking call would hold).
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: Result { try work() }) }
            thread.stackSize = 1 << 22
            thread.start()
        }
        return try result.get()
    }
}

/// A table or query of a PostgreSQL database as a ``DataSource``.
///
/// Each call opens its own connection (on a thread of its own) and closes it when done.
/// The connection is read-only (`SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`):
/// a query that writes (`INSERT … RETURNING *`, a function that updates) fails with SQLSTATE
/// 25006, kind `.invalidStatement`, and changes nothing.
///
/// ```swift
/// let source = PostgresSource(PostgresConfiguration(url), query: "SELECT * FROM scores WHERE day = $1",
///                             parameters: [.date(days)])
/// let schema = try await source.schema()             // no rows read
/// for try await batch in try await source.batches(of: 100_000) { … }
/// ```
public struct PostgresSource: DataSource {
    /// What to read.
    public enum Origin: Sendable, Equatable {
        /// Every row of a table.
        case table(TableName)
        /// A query's rows, with values for its `$n` parameters.
        case query(String, parameters: [PostgresValue])
    }

    /// Where to connect.
    public var configuration: PostgresConfiguration
    /// What to read.
    public var origin: Origin
    /// The text fallback and cursor fetch size.
    public var options: PostgresReadOptions

    /// Reads every row of `table`.
    public init(_ configuration: PostgresConfiguration, table: TableName, options: PostgresReadOptions = PostgresReadOptions()) {
        self.configuration = configuration
        self.origin = .table(table)
        self.options = options
    }

    /// Reads a query's rows; `parameters` are bound to `$1`, `$2`, ….
    public init(_ configuration: PostgresConfiguration, query: String, parameters: [PostgresValue] = [],
                options: PostgresReadOptions = PostgresReadOptions()) {
        self.configuration = configuration
        self.origin = .query(query, parameters: parameters)
        self.options = options
    }

    /// The schema of the rows, from the catalog or the server's description of the query:
    /// no row is read.
    public func schema() async throws -> Schema {
        let (configuration, origin, options) = (self.configuration, self.origin, self.options)
        return try await Blocking.run {
            let connection = try PostgresConnection.readOnly(configuration)
            defer { connection.close() }
            switch origin {
            case let .table(table): return try connection.schema(of: table, options: options)
            case let .query(sql, parameters): return try connection.schema(ofQuery: sql, parameters: parameters, options: options)
            }
        }
    }

    /// Every row, as one frame.
    public func readAll() async throws -> Frame {
        let (configuration, origin, options) = (self.configuration, self.origin, self.options)
        return try await Blocking.run {
            let connection = try PostgresConnection.readOnly(configuration)
            defer { connection.close() }
            return try Self.makeReader(connection, origin, options).readAll()
        }
    }

    /// The rows in frames of at most `rowsPerBatch` rows; memory holds about one batch.
    public func batches(of rowsPerBatch: Int) async throws -> PostgresBatches {
        PostgresBatches(configuration: configuration, origin: origin, options: options, rowsPerBatch: max(1, rowsPerBatch))
    }

    static func makeReader(_ connection: PostgresConnection, _ origin: Origin, _ options: PostgresReadOptions) throws(PostgresError) -> PostgresRowReader {
        do {
            switch origin {
            case let .table(table): return try connection.makeReader(table: table, options: options)
            case let .query(sql, parameters): return try connection.makeReader(query: sql, parameters: parameters, options: options)
            }
        } catch where error.sqlState == "25006" {
            var error = error
            error.hint = "a source reads in a read-only transaction: a query that writes is refused and changes nothing"
            throw error
        }
    }
}

/// The batches of a ``PostgresSource``: one connection, opened on the first `next()` and
/// closed after the last batch (or when the iterator is dropped).
public struct PostgresBatches: AsyncSequence, Sendable {
    /// Each batch is a frame of the source's schema.
    public typealias Element = Frame

    let configuration: PostgresConfiguration
    let origin: PostgresSource.Origin
    let options: PostgresReadOptions
    let rowsPerBatch: Int

    /// An iterator with its own connection.
    public func makeAsyncIterator() -> Iterator {
        Iterator(state: ReaderState(configuration: configuration, origin: origin, options: options), rowsPerBatch: rowsPerBatch)
    }

    /// Reads one batch per `next()`, on a thread of its own. It may move to another task
    /// (to read the next batch while the caller works on this one), as long as one `next()`
    /// runs at a time.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        let state: ReaderState
        let rowsPerBatch: Int

        /// The next batch, or `nil` after the last.
        public mutating func next() async throws -> Frame? {
            let state = self.state, rows = rowsPerBatch
            return try await Blocking.run { try state.next(rows) }
        }
    }

    /// The connection and reader behind an iterator. Only one `next()` runs at a time (an
    /// async iterator is not used concurrently), which is what makes it safe to share.
    final class ReaderState: @unchecked Sendable {
        private let configuration: PostgresConfiguration
        private let origin: PostgresSource.Origin
        private let options: PostgresReadOptions
        private var connection: PostgresConnection?
        private var reader: PostgresRowReader?
        private var done = false

        init(configuration: PostgresConfiguration, origin: PostgresSource.Origin, options: PostgresReadOptions) {
            self.configuration = configuration
            self.origin = origin
            self.options = options
        }

        func next(_ rows: Int) throws -> Frame? {
            guard !done else { return nil }
            do {
                if reader == nil {
                    let connection = try PostgresConnection.readOnly(configuration)
                    self.connection = connection
                    reader = try PostgresSource.makeReader(connection, origin, options)
                }
                if let frame = try reader?.next(maxRows: rows) { return frame }
            } catch {
                finish()
                throw error
            }
            finish()
            return nil
        }

        private func finish() {
            done = true
            reader = nil
            connection?.close()
            connection = nil
        }
    }
}

/// A PostgreSQL table as a ``DataSink``: each write is one transaction (see
/// ``PostgresConnection/write(_:to:mode:options:)``).
public struct PostgresSink: DataSink {
    /// Where to connect.
    public var configuration: PostgresConfiguration
    /// The target table.
    public var table: TableName
    /// The key columns (for `.upsert`) and whether to create a missing table.
    public var options: PostgresWriteOptions

    /// A sink writing to `table`.
    public init(_ configuration: PostgresConfiguration, table: TableName, options: PostgresWriteOptions = PostgresWriteOptions()) {
        self.configuration = configuration
        self.table = table
        self.options = options
    }

    /// Writes `frame` in one transaction.
    public func write(_ frame: Frame, mode: WriteMode) async throws {
        try await write(frame, mode: mode) { _ in }
    }

    /// Writes `frame` and runs `alongside` in the same transaction: both commit, or neither
    /// does (the run ledger commits its row this way, together with the predictions).
    ///
    /// - Returns: the number of rows written.
    @discardableResult
    public func write(_ frame: Frame, mode: WriteMode,
                      alongside: @escaping @Sendable (PostgresConnection) throws -> Void) async throws -> Int {
        let (configuration, table, options) = (self.configuration, self.table, self.options)
        return try await Blocking.run {
            let connection = try PostgresConnection(configuration)
            defer { connection.close() }
            return try connection.transaction { tx in
                let written = try tx.write(frame, to: table, mode: mode, options: options)
                try alongside(tx)
                return written
            }
        }
    }
}

extension PostgresConnection {
    /// A connection whose transactions are all read-only (for sources).
    static func readOnly(_ configuration: PostgresConfiguration) throws(PostgresError) -> PostgresConnection {
        let connection = try PostgresConnection(configuration)
        try connection.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        return connection
    }
}
