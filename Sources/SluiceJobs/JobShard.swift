import Foundation
import SluiceFrame
import SluicePostgres

/// Shard `index` of `count` of a night's scoring rows (`sluice run JOB --shard k/n`).
///
/// Several processes each score and stage one shard of the same run (a ledger row whose mode
/// is `shards/N`, created by the first shard to start and joined by the others); then one
/// `sluice run JOB --publish` publishes every staged part in ONE transaction, together with
/// the run's success, exactly as an unsharded run publishes its single part. A row belongs to
/// shard `hashtext(ROW(keys…)::text) mod count`, computed by the database, so each process
/// reads only its rows. A CSV scoring source is read whole by every shard, which keeps the
/// rows whose keys hash to it (``rows(of:keys:)``) and quarantines the unreadable lines that
/// are its own (``owns(line:)``), so each row and each bad line is handled by exactly one
/// shard. Sharding needs key columns.
///
/// While a shard runs it holds the job's lock *shared* (plus an exclusive lock on its own
/// shard), so shards run side by side but an ordinary run or the publish step exits 75
/// until they end. Each shard applies the reject and drift policies to its own rows.
public struct JobShard: Sendable, Equatable, CustomStringConvertible {
    /// 0-based: `0..<count`.
    public var index: Int
    public var count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, count <= 1024, index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
    }

    /// Parses `k/n` (0 ≤ k < n ≤ 1024).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// The ledger mode of a run of `count` shards.
    static func mode(_ count: Int) -> String { "shards/\(count)" }

    /// The shard count of a ledger mode `shards/N`.
    static func count(ofMode mode: String) -> Int? {
        guard mode.hasPrefix("shards/") else { return nil }
        return Int(mode.dropFirst("shards/".count))
    }

    /// Whether this shard quarantines an unreadable CSV line: line `l` belongs to shard
    /// `l mod count` (a reject without a line, to shard 0).
    func owns(line: Int?) -> Bool { (line ?? 0) % count == index }

    /// The indices of `frame`'s rows that belong to this shard: the 64-bit FNV-1a hash of the
    /// key values' text (each value's description, a 0x1F byte after each, a 0x00 byte for a
    /// null), mod `count`. The same file gives every process the same assignment.
    func rows(of frame: Frame, keys: [String]) throws -> [Int] {
        let columns = try keys.map { try frame.column($0) }
        return (0..<frame.rowCount).filter { i in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            for c in columns {
                if c.isNull(i) { mix(0) } else { for b in c[i].description.utf8 { mix(b) } }
                mix(0x1F)
            }
            return Int(hash % UInt64(count)) == index
        }
    }

    /// `sql` limited to this shard's rows (by the hash of the key columns).
    func restricting(_ sql: String, keys: [String], quote: (String) throws -> String) throws -> String {
        let keyList = try keys.map(quote).joined(separator: ", ")
        var inner = Substring(sql)
        while let last = inner.last, last == ";" || last.isWhitespace { inner = inner.dropLast() }
        return "SELECT * FROM (\(inner)) AS sluice_shard WHERE mod(hashtext(ROW(\(keyList))::text)::bigint & 2147483647, \(count)) = \(index)"
    }
}

extension RunLedger {
    /// The running row of the job's sharded run for `date`, or a new one (mode `shards/N`,
    /// scoring with `modelVersion`): the first shard to start creates it, the others join it.
    func joinSharded(job: String, logicalDate: LogicalDate, shards: Int, modelVersion: Int,
                     attempt: Int) throws -> (run: RunID, modelVersion: Int) {
        try connection.transaction { c in
            try c.execute("SELECT pg_advisory_xact_lock(hashtext('sluice.shards'), hashtext($1))", [.string(job)])
            let found = try c.rows("""
                SELECT run_id, model_version FROM sluice.runs
                WHERE job = $1 AND logical_date = $2 AND status = 'running' AND mode = $3
                ORDER BY run_id DESC LIMIT 1
                """, [.string(job), .date(logicalDate.days), .string(JobShard.mode(shards))])
            if let row = found.first, let id = row[0].flatMap({ Int64($0) }) {
                return (id, row[1].flatMap { Int($0) } ?? modelVersion)
            }
            let created = try c.rows("""
                INSERT INTO sluice.runs (job, logical_date, mode, attempt, status, model_version, host, pid)
                VALUES ($1, $2, $3, $4, 'running', $5, $6, $7) RETURNING run_id
                """, [.string(job), .date(logicalDate.days), .string(JobShard.mode(shards)), .int64(Int64(attempt)),
                      .int64(Int64(modelVersion)), .string(ProcessInfo.processInfo.hostName), .int64(Int64(getpid()))])
            guard let id = created.first?.first.flatMap({ $0.flatMap { Int64($0) } }) else {
                throw JobError.configuration(job: job, reason: "the ledger gave no run id")
            }
            return (id, modelVersion)
        }
    }

    /// Adds a finished shard's counts (and its metrics, under `shard.K.`) to the run's row.
    func addShard(_ shard: JobShard, counts: RunCounts, metrics: [String: Double], to run: RunID) throws {
        var prefixed: [String: Double] = [:]
        for (k, v) in metrics where v.isFinite { prefixed["shard.\(shard.index).\(k)"] = v }
        let json = String(decoding: try JSONEncoder().encode(prefixed), as: UTF8.self)
        try connection.execute("""
            UPDATE sluice.runs SET rows_read = coalesce(rows_read, 0) + $2, rows_scored = coalesce(rows_scored, 0) + $3,
                rows_rejected = coalesce(rows_rejected, 0) + $4, rows_written = coalesce(rows_written, 0) + $5,
                metrics = coalesce(metrics, '{}'::jsonb) || $6::jsonb
            WHERE run_id = $1 AND status = 'running'
            """, [.int64(run), .int64(Int64(counts.read)), .int64(Int64(counts.scored)), .int64(Int64(counts.rejected)),
                  .int64(Int64(counts.written)), .string(json)])
    }

    /// The job's running sharded run for `date`, newest first.
    func runningSharded(job: String, logicalDate: LogicalDate) throws -> RunRecord? {
        guard let id = try connection.rows("""
            SELECT run_id FROM sluice.runs WHERE job = $1 AND logical_date = $2 AND status = 'running' AND mode LIKE 'shards/%'
            ORDER BY run_id DESC LIMIT 1
            """, [.string(job), .date(logicalDate.days)]).first?.first.flatMap({ $0.flatMap { Int64($0) } }) else { return nil }
        return try run(id)
    }
}
