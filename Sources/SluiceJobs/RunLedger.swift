import Foundation
import SluiceFrame
import SluicePostgres

/// A run's identity in the ledger (`sluice.runs.run_id`).
public typealias RunID = Int64

/// What a run does: train a model, score with the deployed one, or both.
public enum RunMode: String, Sendable, CaseIterable, Codable {
    case train, score, both
}

/// A run's state in the ledger.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    case running, succeeded, failed, abandoned
}

/// One row of `sluice.runs`.
public struct RunRecord: Sendable, Equatable {
    public var runID: RunID
    public var job: String
    public var logicalDate: LogicalDate
    public var mode: String
    public var attempt: Int
    public var status: RunStatus
    public var startedAt: String
    public var endedAt: String?
    public var rowsRead: Int?
    public var rowsScored: Int?
    public var rowsRejected: Int?
    public var rowsWritten: Int?
    public var modelVersion: Int?
    public var metrics: String?
    public var error: String?
    public var host: String?
    public var pid: Int?
}

/// The counts a finished run records.
public struct RunCounts: Sendable, Equatable {
    public var read = 0
    public var scored = 0
    public var rejected = 0
    public var written = 0
    public init() {}
}

/// The run ledger, `sluice.runs`: every run's job, logical date, status, times, counts,
/// model version, metrics, error, host and pid.
public struct RunLedger {
    let connection: PostgresConnection

    public init(_ connection: PostgresConnection) { self.connection = connection }

    /// Marks the job's `running` rows `abandoned`: called while holding the job's lock, so
    /// no run of the job is alive and such rows were left by a crash, a kill or a lost
    /// connection. Returns their run ids. `kept` is spared (the sharded run being published).
    @discardableResult
    public func abandonStale(job: String, except kept: RunID? = nil) throws -> [RunID] {
        try connection.rows("""
            UPDATE sluice.runs SET status = 'abandoned', ended_at = clock_timestamp(),
                error = coalesce(error, 'abandoned: the process ended before the run finished (found by a later run)')
            WHERE job = $1 AND status = 'running' AND run_id IS DISTINCT FROM $2 RETURNING run_id
            """, [.string(job), kept.map { .int64($0) } ?? .null]).compactMap { $0.first.flatMap { $0.flatMap { Int64($0) } } }
    }

    /// Records a new `running` run and returns its id.
    public func start(job: String, logicalDate: LogicalDate, mode: RunMode, attempt: Int) throws -> RunID {
        let host = ProcessInfo.processInfo.hostName
        let rows = try connection.rows("""
            INSERT INTO sluice.runs (job, logical_date, mode, attempt, status, host, pid)
            VALUES ($1, $2, $3, $4, 'running', $5, $6) RETURNING run_id
            """, [.string(job), .date(logicalDate.days), .string(mode.rawValue), .int64(Int64(attempt)),
                  .string(host), .int64(Int64(getpid()))])
        guard let text = rows.first?.first ?? nil, let id = Int64(text) else {
            throw JobError.configuration(job: job, reason: "the ledger gave no run id")
        }
        return id
    }

    /// The statement that records a run's end; ``PredictionPublisher`` runs it inside the
    /// publishing transaction so success and the predictions commit together.
    func finishStatement(_ run: RunID, status: RunStatus, counts: RunCounts, modelVersion: Int?, metrics: String?,
                         error: String?) -> (String, [PostgresValue]) {
        ("""
        UPDATE sluice.runs SET status = $2, ended_at = clock_timestamp(), rows_read = $3, rows_scored = $4,
            rows_rejected = $5, rows_written = $6, model_version = $7, metrics = $8::jsonb, error = $9
        WHERE run_id = $1 AND status = 'running'
        """,
         [.int64(run), .string(status.rawValue), .int64(Int64(counts.read)), .int64(Int64(counts.scored)),
          .int64(Int64(counts.rejected)), .int64(Int64(counts.written)), modelVersion.map { .int64(Int64($0)) } ?? .null,
          metrics.map { .string($0) } ?? .null, error.map { .string(Redaction.redact($0)) } ?? .null])
    }

    /// Records a run's end outside any publish (a failure, or a run with nothing to publish).
    public func finish(_ run: RunID, status: RunStatus, counts: RunCounts, modelVersion: Int?, metrics: String?,
                       error: String?) throws {
        let (sql, parameters) = finishStatement(run, status: status, counts: counts, modelVersion: modelVersion,
                                                metrics: metrics, error: error)
        try connection.execute(sql, parameters)
    }

    /// The job's runs, newest first.
    public func history(job: String, limit: Int = 20) throws -> [RunRecord] {
        try connection.rows("""
            SELECT run_id, job, logical_date, mode, attempt, status,
                   to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   rows_read, rows_scored, rows_rejected, rows_written, model_version, metrics::text, error, host, pid
            FROM sluice.runs WHERE job = $1 ORDER BY run_id DESC LIMIT $2
            """, [.string(job), .int64(Int64(limit))]).map(Self.record)
    }

    /// The run `id`, if the ledger has it.
    public func run(_ id: RunID) throws -> RunRecord? {
        try connection.rows("""
            SELECT run_id, job, logical_date, mode, attempt, status,
                   to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   rows_read, rows_scored, rows_rejected, rows_written, model_version, metrics::text, error, host, pid
            FROM sluice.runs WHERE run_id = $1
            """, [.int64(id)]).first.map(Self.record)
    }

    /// The latest logical date the job succeeded for.
    public func lastSucceeded(job: String) throws -> LogicalDate? {
        let rows = try connection.rows("SELECT max(logical_date)::text FROM sluice.runs WHERE job = $1 AND status = 'succeeded'",
                                       [.string(job)])
        guard let text = rows.first?.first ?? nil else { return nil }
        return LogicalDate(text)
    }

    private static func record(_ r: [String?]) -> RunRecord {
        func int(_ i: Int) -> Int? { r[i].flatMap { Int($0) } }
        return RunRecord(runID: r[0].flatMap { Int64($0) } ?? 0, job: r[1] ?? "", logicalDate: r[2].flatMap { LogicalDate($0) } ?? LogicalDate(days: 0),
                         mode: r[3] ?? "", attempt: int(4) ?? 1, status: r[5].flatMap { RunStatus(rawValue: $0) } ?? .failed,
                         startedAt: r[6] ?? "", endedAt: r[7], rowsRead: int(8), rowsScored: int(9), rowsRejected: int(10),
                         rowsWritten: int(11), modelVersion: int(12), metrics: r[13], error: r[14], host: r[15], pid: int(16))
    }
}
