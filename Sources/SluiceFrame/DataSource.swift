/// Where a nightly run's rows come from: a CSV file, a PostgreSQL query, ….
///
/// A source tells its schema before any row is read (so a pipeline can be checked first),
/// reads everything at once, or streams batches of at most a given number of rows with
/// bounded memory. Every batch has the source's schema.
public protocol DataSource: Sendable {
    /// The batches a source yields: frames of the source's schema, in order.
    associatedtype Batches: AsyncSequence where Batches.Element == Frame

    /// The schema the source's frames will have.
    func schema() async throws -> Schema

    /// Every row, as one frame.
    func readAll() async throws -> Frame

    /// The rows in frames of `rowsPerBatch` rows (the last may be shorter).
    func batches(of rowsPerBatch: Int) async throws -> Batches
}

/// What a ``DataSink`` does when its target already has data.
public enum WriteMode: String, Sendable, Codable, CaseIterable {
    /// Fail if the target exists.
    case create
    /// Replace the target's contents.
    case replace
    /// Add rows after the target's existing rows (the schema must match).
    case append
    /// Insert rows whose key is new and update the rows whose key exists; the sink says
    /// which columns are the key (a sink without keys refuses this mode).
    case upsert
}

/// Where frames are written: a CSV file, a PostgreSQL table, ….
public protocol DataSink: Sendable {
    /// Writes `frame` to the sink, with `mode` deciding what happens to existing data.
    func write(_ frame: Frame, mode: WriteMode) async throws
}
