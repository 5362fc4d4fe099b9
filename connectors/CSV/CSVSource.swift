import SluiceFrame

/// A CSV file as a ``DataSource``: its schema, all its rows, or batches.
public struct CSVSource: DataSource {
    /// The file.
    public var path: String
    /// How it is read.
    public var reader: CSVReader

    /// The file at `path`, read with `options`.
    public init(path: String, options: CSVReadOptions = CSVReadOptions()) {
        self.path = path
        self.reader = CSVReader(options)
    }

    /// The inferred schema (a pass that keeps no values).
    public func schema() async throws -> Schema { try reader.schema(path: path) }

    /// Every row, read on every core.
    public func readAll() async throws -> Frame { try reader.read(path: path) }

    /// Batches of `rowsPerBatch` rows with bounded memory.
    public func batches(of rowsPerBatch: Int) async throws -> CSVBatches {
        try reader.batches(path: path, rowsPerBatch: rowsPerBatch)
    }
}

/// A CSV file as a ``DataSink``.
public struct CSVSink: DataSink {
    /// The file.
    public var path: String
    /// How frames are written.
    public var writer: CSVWriter

    /// The file at `path`, written with `options`.
    public init(path: String, options: CSVWriteOptions = CSVWriteOptions()) {
        self.path = path
        self.writer = CSVWriter(options)
    }

    /// Writes `frame`: `.create` fails if the file exists, `.replace` swaps in a complete new
    /// file atomically, `.append` adds rows.
    public func write(_ frame: Frame, mode: WriteMode) async throws {
        try writer.write(frame, to: path, mode: mode)
    }
}
