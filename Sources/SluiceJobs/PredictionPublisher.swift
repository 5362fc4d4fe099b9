import SluiceFrame
import SluicePostgres

/// Publishes a night's predictions all at once, replacing the logical date's previous ones.
///
/// The predictions table is `PARTITION BY LIST (logical_date)`, one partition per night.
/// A run stages its rows in parts, `TABLE_YYYYMMDD_rRUN_pSHARD`: plain tables shaped like
/// the predictions table, each filled by one binary COPY (several processes can each stage a
/// shard of one run), created with `CHECK (logical_date = D AND shard = K)` and given a unique
/// index on the keys after its last batch, all before publishing. The publishing transaction then:
///
/// 1. creates the night's table `TABLE_YYYYMMDD_rRUN`, `PARTITION BY LIST (shard)`, and
///    attaches every part to it;
/// 2. detaches the date's previous partition (if any) and attaches the new one (the CHECK
///    constraints let both ATTACHes skip their validation scans);
/// 3. drops the previous partition and records the run's success in the ledger;
///
/// and commits: a few catalog changes, whatever the row count. Until COMMIT, readers see the
/// previous night's rows; a crash, kill or lost connection before it leaves them as they
/// were, and the unattached parts are dropped by the next run. (Measured on PostgreSQL 15
/// for 1M rows: this publish costs ~20 ms; `DELETE … WHERE logical_date = D` plus
/// `INSERT … SELECT` costs ~5.4 s, `INSERT … ON CONFLICT DO UPDATE` ~8.5 s.)
public struct PredictionPublisher {
    let connection: PostgresConnection
    /// The predictions table.
    public let table: TableName
    /// The key columns (the unique index of each part).
    public let keys: [String]

    public init(_ connection: PostgresConnection, table: TableName, keys: [String]) {
        self.connection = connection
        self.table = table
        self.keys = keys
    }

    /// The name of the night's table of `run`.
    func nightName(_ date: LogicalDate, _ run: RunID) -> String { "\(table.name)_\(date.compact)_r\(run)" }
    func partName(_ date: LogicalDate, _ run: RunID, _ shard: Int) -> String { nightName(date, run) + "_p\(shard)" }
    private func sibling(_ name: String) -> TableName { TableName(name, schema: table.schema) }

    private func quoted(_ t: TableName) throws -> String {
        let name = try connection.quote(t.name)
        return try t.schema.map { try connection.quote($0) + "." + name } ?? name
    }

    private func dateLiteral(_ date: LogicalDate) -> String { "'\(date.description)'::date" }

    /// Whether the predictions table exists (its name quoted, so case and every character count).
    public func tableExists() throws -> Bool {
        try connection.rows("SELECT to_regclass($1) IS NOT NULL", [.string(try quoted(table))]).first?.first == "t"
    }

    /// Creates the predictions table for rows of `schema` (which has `logical_date` and
    /// `shard`) when it does not exist; refuses an existing table that is not partitioned by
    /// `logical_date`.
    public func ensureTable(for schema: Schema, job: String) throws {
        let q = try quoted(table)
        let found = try connection.rows("""
            SELECT p.partstrat, (SELECT attname FROM pg_attribute WHERE attrelid = p.partrelid AND attnum = p.partattrs[0])
            FROM pg_class c LEFT JOIN pg_partitioned_table p ON p.partrelid = c.oid
            WHERE c.oid = to_regclass($1)
            """, [.string(q)])
        if let row = found.first {
            guard row[0] == "l", row[1] == "logical_date" else {
                throw JobError.predictionsTable(job: job, table: table.description,
                    reason: "it exists but is not PARTITION BY LIST (logical_date); give the job another table, or drop this one")
            }
            return
        }
        var columns: [String] = []
        for field in schema.fields {
            let notNull = field.name == "logical_date" || field.name == "shard" || keys.contains(field.name)
            columns.append("\(try connection.quote(field.name)) \(PostgresType.sqlName(for: field.type))\(notNull ? " NOT NULL" : "")")
        }
        try connection.transaction { c in
            try c.execute("SELECT pg_advisory_xact_lock(hashtext('sluice predictions'), hashtext($1))", [.string(q)])
            try c.execute("CREATE TABLE IF NOT EXISTS \(q) (\(columns.joined(separator: ", "))) PARTITION BY LIST (logical_date)")
        }
    }

    /// Drops parts and night tables of this table left by runs that are no longer running
    /// (a crash before publishing). Published partitions are never touched.
    @discardableResult
    public func dropOrphans() throws -> [String] {
        let prefix = table.name + "_"
        let candidates = try connection.rows("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = coalesce($1, current_schema()) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND left(c.relname::text, $2::integer) = $3
            """, [table.schema.map { .string($0) } ?? .null, .int64(Int64(prefix.count)), .string(prefix)])
            .compactMap { $0.first ?? nil }
        var dropped: [String] = []
        for name in candidates {
            // TABLE_YYYYMMDD_rRUN or TABLE_YYYYMMDD_rRUN_pSHARD
            let rest = name.dropFirst(prefix.count).split(separator: "_")
            guard rest.count == 2 || rest.count == 3, rest[0].count == 8, rest[0].allSatisfy(\.isNumber),
                  rest[1].first == "r", let run = Int64(rest[1].dropFirst()) else { continue }
            if rest.count == 3 { guard rest[2].first == "p", Int(rest[2].dropFirst()) != nil else { continue } }
            let status = try connection.rows("SELECT status FROM sluice.runs WHERE run_id = $1", [.int64(run)]).first?.first ?? nil
            if status == "running" { continue }
            try connection.execute("DROP TABLE IF EXISTS \(try quoted(sibling(name))) CASCADE")
            dropped.append(name)
        }
        return dropped
    }

    /// Stages `frame` (rows of the predictions table's shape for `date`) as shard `shard` of
    /// `run`: one COPY into a new part table, then its bound CHECK and unique key index.
    /// Several batches may go to one shard: pass `finish: false` for all but the last.
    @discardableResult
    public func stage(_ frame: Frame, run: RunID, date: LogicalDate, shard: Int, append: Bool = false,
                      finish: Bool = true) throws -> Int {
        let part = sibling(partName(date, run, shard))
        let q = try quoted(part)
        if !append {
            try connection.execute("DROP TABLE IF EXISTS \(q)")
            // The bound CHECK comes with the table: COPY checks each row as it arrives, which
            // costs nothing like the full scan of adding it afterwards.
            try connection.execute("CREATE TABLE \(q) (LIKE \(try quoted(table)) INCLUDING DEFAULTS, \(bound(date, shard)))")
        }
        let written = frame.rowCount == 0 ? 0 : try connection.write(frame, to: part, mode: .append,
                                                                       options: PostgresWriteOptions(createIfMissing: false))
        if finish { try seal(run: run, date: date, shard: shard) }
        return written
    }

    /// The part's bound: the partition constraint its ATTACHes then need not scan for.
    private func bound(_ date: LogicalDate, _ shard: Int) -> String {
        "CHECK (logical_date = \(dateLiteral(date)) AND shard = \(shard))"
    }

    /// Adds the part's unique key index (after its last batch; the part was created with its
    /// bound CHECK).
    public func seal(run: RunID, date: LogicalDate, shard: Int) throws {
        let q = try quoted(sibling(partName(date, run, shard)))
        if !keys.isEmpty {
            let keyList = try keys.map { try connection.quote($0) }.joined(separator: ", ")
            try connection.execute("CREATE UNIQUE INDEX ON \(q) (\(keyList))")
        }
    }

    /// The shards staged for `run`; `sealed`: only those whose unique key index is built (their
    /// last batch was staged), when the table has keys.
    public func stagedShards(run: RunID, date: LogicalDate, sealed: Bool = false) throws -> [Int] {
        let prefix = nightName(date, run) + "_p"
        let sealedOnly = sealed && !keys.isEmpty
        return try connection.rows("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = coalesce($1, current_schema()) AND c.relkind = 'r' AND NOT c.relispartition
              AND left(c.relname::text, $2::integer) = $3
              AND (NOT $4 OR EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique))
            """, [table.schema.map { .string($0) } ?? .null, .int64(Int64(prefix.count)), .string(prefix), .bool(sealedOnly)])
            .compactMap { $0.first.flatMap { $0 }.flatMap { Int($0.dropFirst(prefix.count)) } }.sorted()
    }

    /// Publishes every staged shard of `run` as the predictions of `date`, replacing the
    /// date's previous partition, and runs `alsoInTransaction` (the ledger's success) before
    /// COMMIT. `beforeCommit` runs last inside the transaction (a test's fault point).
    public func publish(run: RunID, date: LogicalDate, alsoInTransaction: [(String, [PostgresValue])],
                        beforeCommit: () throws -> Void = {}) throws {
        let shards = try stagedShards(run: run, date: date)
        let preds = try quoted(table)
        let night = try quoted(sibling(nightName(date, run)))
        try connection.transaction { c in
            try c.execute("SET LOCAL lock_timeout = '60s'")
            try c.execute("CREATE TABLE \(night) (LIKE \(preds) INCLUDING DEFAULTS) PARTITION BY LIST (shard)")
            for shard in shards {
                try c.execute("ALTER TABLE \(night) ATTACH PARTITION \(try quoted(sibling(partName(date, run, shard)))) FOR VALUES IN (\(shard))")
            }
            let old = try c.rows("""
                SELECT quote_ident(n.nspname) || '.' || quote_ident(k.relname) FROM pg_inherits i
                JOIN pg_class k ON k.oid = i.inhrelid JOIN pg_namespace n ON n.oid = k.relnamespace
                WHERE i.inhparent = to_regclass($1) AND pg_get_expr(k.relpartbound, k.oid) = $2
                """, [.string(preds), .string("FOR VALUES IN ('\(date.description)')")]).compactMap { $0.first ?? nil }
            for o in old { try c.execute("ALTER TABLE \(preds) DETACH PARTITION \(o)") }
            try c.execute("ALTER TABLE \(preds) ATTACH PARTITION \(night) FOR VALUES IN (\(dateLiteral(date)))")
            for o in old { try c.execute("DROP TABLE \(o) CASCADE") }
            for (sql, parameters) in alsoInTransaction { try c.execute(sql, parameters) }
            try beforeCommit()
        }
    }

    /// Drops everything `run` staged for `date` (after a failure), or only `shard`'s part.
    public func discard(run: RunID, date: LogicalDate, shard only: Int? = nil) {
        for shard in (try? stagedShards(run: run, date: date)) ?? [] where only == nil || only == shard {
            if let q = try? quoted(sibling(partName(date, run, shard))) { _ = try? connection.execute("DROP TABLE IF EXISTS \(q)") }
        }
    }
}
