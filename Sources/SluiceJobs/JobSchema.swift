import SluicePostgres

/// The `sluice` schema: the run ledger, the model store, deployments and rejects. Installed
/// by the first run (idempotent, serialised by an advisory lock, so concurrent first runs of
/// two jobs do not collide in the catalog).
public enum JobSchema {
    /// The statements, in order.
    static let statements = [
        "CREATE SCHEMA IF NOT EXISTS sluice",
        """
        CREATE TABLE IF NOT EXISTS sluice.runs (
            run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            job text NOT NULL,
            logical_date date NOT NULL,
            mode text NOT NULL,
            attempt integer NOT NULL DEFAULT 1,
            status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
            started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            ended_at timestamptz,
            rows_read bigint,
            rows_scored bigint,
            rows_rejected bigint,
            rows_written bigint,
            model_version integer,
            metrics jsonb,
            error text,
            host text,
            pid integer
        )
        """,
        "CREATE INDEX IF NOT EXISTS runs_job_logical_date ON sluice.runs (job, logical_date)",
        """
        CREATE TABLE IF NOT EXISTS sluice.models (
            job text NOT NULL,
            version integer NOT NULL,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            run_id bigint REFERENCES sluice.runs (run_id),
            kind text NOT NULL,
            metrics jsonb NOT NULL,
            key_metric text,
            key_value double precision,
            feature_schema jsonb NOT NULL,
            data_fingerprint text NOT NULL,
            seed bigint NOT NULL,
            artifact bytea NOT NULL,
            sha256 text NOT NULL,
            PRIMARY KEY (job, version)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS sluice.deployments (
            deployment_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            job text NOT NULL,
            version integer NOT NULL,
            deployed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            run_id bigint REFERENCES sluice.runs (run_id),
            reason text NOT NULL,
            FOREIGN KEY (job, version) REFERENCES sluice.models (job, version)
        )
        """,
        "CREATE INDEX IF NOT EXISTS deployments_job ON sluice.deployments (job, deployment_id)",
        """
        CREATE TABLE IF NOT EXISTS sluice.rejects (
            run_id bigint NOT NULL REFERENCES sluice.runs (run_id),
            source text NOT NULL,
            line bigint,
            key text,
            column_name text,
            reason text NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS rejects_run ON sluice.rejects (run_id)",
        """
        CREATE TABLE IF NOT EXISTS sluice.run_reports (
            run_id bigint PRIMARY KEY REFERENCES sluice.runs (run_id),
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            html text NOT NULL,
            json jsonb NOT NULL
        )
        """,
    ]

    /// Creates whatever is missing of the schema, in one transaction.
    public static func install(on connection: PostgresConnection) throws {
        if try connection.rows("SELECT to_regclass('sluice.run_reports') IS NOT NULL").first?.first == "t" { return }
        try connection.transaction { c in
            try c.execute("SELECT pg_advisory_xact_lock(hashtext('sluice schema'))")
            for statement in statements { try c.execute(statement) }
        }
    }
}
