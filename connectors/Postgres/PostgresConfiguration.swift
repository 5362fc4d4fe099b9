import Foundation

/// How to connect to PostgreSQL: a connection string plus Sluice's safety defaults.
///
/// The connection string is anything libpq accepts: a URL (`postgres://` or
/// `postgresql://`), a keyword string (`host=db dbname=app user=etl`), or the empty string,
/// with which libpq reads the `PG*` environment variables, the service file and `.pgpass`
/// (which libpq ignores unless its mode is 0600).
///
/// ## Defaults
///
/// Unless the connection string (or the matching `PG*` variable) sets them, connections use:
///
/// | setting | default | why |
/// |---|---|---|
/// | `connect_timeout` | 10 s | an unreachable server fails fast (the CLI exits 69) |
/// | `keepalives`, `keepalives_idle`, `keepalives_interval`, `keepalives_count` | on, 30 s, 10 s, 3 | a silent network cut is noticed in about a minute, not Linux's 2 hours |
/// | `tcp_user_timeout` | 60 s | unacknowledged writes fail instead of hanging |
/// | `application_name` | `sluice` | the job is visible in `pg_stat_activity` |
/// | `statement_timeout` | 30 min | set with `set_config` after connecting, unless the connection string's `options` set it |
///
/// Each is a property here: set it to another value, or to `nil` to leave libpq's and the
/// server's own default. `client_encoding` is always UTF8 (text columns are decoded as UTF-8).
///
/// ## TLS
///
/// `sslmode` and the other `ssl*` settings pass through unchanged. libpq's default, `prefer`,
/// protects neither against eavesdropping for sure nor against impersonation; for a remote
/// server use `sslmode=verify-full` (checks the certificate authority and the host name).
///
/// ## Secrets
///
/// ``description`` is the connection string with its password redacted
/// (see ``Redaction``); the string itself is only handed to libpq.
public struct PostgresConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// The libpq connection string (URL, keyword form, or empty for the environment).
    public var connectionString: String
    /// `connect_timeout`; `nil` leaves libpq's default (wait forever).
    public var connectTimeout: Duration? = .seconds(10)
    /// TCP keepalive idle time before probes; `nil` leaves the system default (2 hours on Linux).
    public var keepaliveIdle: Duration? = .seconds(30)
    /// Time between keepalive probes.
    public var keepaliveInterval: Duration? = .seconds(10)
    /// Number of unanswered probes before the connection is dropped.
    public var keepaliveCount: Int? = 3
    /// `tcp_user_timeout`: how long transmitted data may stay unacknowledged.
    public var tcpUserTimeout: Duration? = .seconds(60)
    /// `statement_timeout` for every statement of the session; `nil` keeps the server's.
    public var statementTimeout: Duration? = .seconds(1800)
    /// `application_name`.
    public var applicationName: String? = "sluice"
    /// The environment to consult for `PG*` overrides of the defaults (`PGCONNECT_TIMEOUT`,
    /// `PGAPPNAME`, `PGOPTIONS`); the process environment by default.
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    /// A configuration for `connectionString` with the documented defaults.
    public init(_ connectionString: String) {
        self.connectionString = connectionString
    }

    /// A configuration for a resolved ``DatabaseTarget``.
    public init(_ target: DatabaseTarget) {
        self.connectionString = target.connectionString
    }

    /// The connection string with its password redacted.
    public var description: String {
        connectionString.isEmpty ? "(libpq environment)" : Redaction.redact(connectionString)
    }

    /// The keyword/value pairs for `PQconnectdbParams` with `expand_dbname = 1`: the defaults
    /// first (so the connection string overrides them), then the connection string as
    /// `dbname`, then what must hold whatever it says (`client_encoding`).
    func connectionParameters() -> [(String, String)] {
        func seconds(_ d: Duration) -> String { String(max(1, d.components.seconds)) }
        func milliseconds(_ d: Duration) -> String {
            String(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
        }
        var pairs: [(String, String)] = []
        if let connectTimeout, (environment["PGCONNECT_TIMEOUT"] ?? "").isEmpty {
            pairs.append(("connect_timeout", seconds(connectTimeout)))
        }
        if keepaliveIdle != nil || keepaliveInterval != nil || keepaliveCount != nil { pairs.append(("keepalives", "1")) }
        if let keepaliveIdle { pairs.append(("keepalives_idle", seconds(keepaliveIdle))) }
        if let keepaliveInterval { pairs.append(("keepalives_interval", seconds(keepaliveInterval))) }
        if let keepaliveCount { pairs.append(("keepalives_count", String(keepaliveCount))) }
        if let tcpUserTimeout { pairs.append(("tcp_user_timeout", milliseconds(tcpUserTimeout))) }
        if let applicationName, (environment["PGAPPNAME"] ?? "").isEmpty {
            pairs.append(("application_name", applicationName))
        }
        pairs.append(("dbname", connectionString))
        pairs.append(("client_encoding", "UTF8"))
        return pairs
    }

    /// The `statement_timeout` value to set after connecting, in milliseconds.
    var statementTimeoutMilliseconds: Int64? {
        statementTimeout.map { $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000 }
    }
}
