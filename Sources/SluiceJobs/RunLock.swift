import SluicePostgres

/// One run of a job at a time, enforced by the database: a session-level
/// `pg_try_advisory_lock` on a direct connection (never through a transaction-pooling
/// bouncer). The lock lasts as long as the connection: a crash, a SIGKILL or a lost
/// connection releases it, and the next run finds the stale ledger row.
enum RunLock {
    /// The two lock keys of `job`: a constant class and the job name's hash.
    static let keySQL = "hashtext('sluice.job'), hashtext($1)"

    /// Takes the job's lock on `connection`, or throws ``JobError/locked(job:holder:)`` naming
    /// the holder's backend when another session has it.
    /// `shared`: the lock several shards of one run hold together (an exclusive holder
    /// excludes them all, and they exclude it).
    static func acquire(_ connection: PostgresConnection, job: String, shared: Bool = false) throws {
        let function = shared ? "pg_try_advisory_lock_shared" : "pg_try_advisory_lock"
        let got = try connection.rows("SELECT \(function)(\(keySQL))", [.string(job)]).first?.first ?? nil
        guard got == "t" else {
            let holder = try? connection.rows("""
                SELECT a.pid::text || coalesce(' on ' || nullif(a.client_hostname, ''), '') || coalesce(', ' || nullif(a.application_name, ''), '')
                    || ', since ' || to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"')
                FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.classid = hashtext('sluice.job')::oid
                    AND l.objid = hashtext($1)::oid AND l.objsubid = 2 LIMIT 1
                """, [.string(job)]).first?.first ?? nil
            throw JobError.locked(job: job, holder: holder.map { "held by backend \($0)" })
        }
    }

    /// Releases the lock (closing the connection also does).
    static func release(_ connection: PostgresConnection, job: String, shared: Bool = false) {
        _ = try? connection.execute("SELECT \(shared ? "pg_advisory_unlock_shared" : "pg_advisory_unlock")(\(keySQL))", [.string(job)])
    }
}
