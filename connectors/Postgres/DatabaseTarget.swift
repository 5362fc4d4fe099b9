import Foundation

/// Which PostgreSQL database a test, demo or job talks to, chosen from the environment.
///
/// ``resolve(environment:projectRoot:timeout:)`` picks, in order:
///
/// 1. `DATABASE_URL`, when set and not empty;
/// 2. libpq's own settings, when `PGHOST`, `PGDATABASE` or `PGSERVICE` is set (libpq then
///    reads every `PG*` variable, `.pgpass` and the service file itself);
/// 3. the project's ``ThrowawayCluster``, started or reused.
///
/// ``description`` never contains the connection string, so it is safe to log.
public enum DatabaseTarget: Sendable, Equatable, CustomStringConvertible {
    /// The connection string in `DATABASE_URL`.
    case databaseURL(String)
    /// libpq's environment (`PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGSERVICE`, ...).
    case libpqEnvironment
    /// A throwaway cluster of the project.
    case throwawayCluster(ThrowawayCluster.Server)

    /// The string to pass to `PQconnectdb`: the URL, the cluster's TCP URL, or the empty
    /// string, with which libpq takes everything from its environment.
    public var connectionString: String {
        switch self {
        case let .databaseURL(url): return url
        case .libpqEnvironment: return ""
        case let .throwawayCluster(server): return server.connectionURL
        }
    }

    /// Where the connection goes, without the connection string (which may hold a password).
    public var description: String {
        switch self {
        case .databaseURL: return "the database in DATABASE_URL"
        case .libpqEnvironment: return "the database named by libpq's PG* environment"
        case let .throwawayCluster(server):
            return "the throwaway cluster on 127.0.0.1:\(server.port) (\(server.dataDirectory))"
        }
    }

    /// Chooses the database as described on ``DatabaseTarget``.
    ///
    /// - Parameters:
    ///   - environment: the variables to look at; the process environment by default.
    ///   - projectRoot: the project whose cluster to use (see
    ///     ``ThrowawayCluster/forProject(at:environment:)``); by default
    ///     ``ThrowawayCluster/defaultProjectRoot(environment:)``.
    ///   - timeout: passed to ``ThrowawayCluster/start(timeout:)``.
    /// - Throws: ``ThrowawayClusterError`` when a throwaway cluster is needed and cannot be started.
    public static func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        projectRoot: URL? = nil,
        timeout: Duration = .seconds(30)
    ) async throws(ThrowawayClusterError) -> DatabaseTarget {
        if let url = environment["DATABASE_URL"], !url.isEmpty { return .databaseURL(url) }
        if ["PGHOST", "PGDATABASE", "PGSERVICE"].contains(where: { !(environment[$0] ?? "").isEmpty }) {
            return .libpqEnvironment
        }
        let root = projectRoot ?? ThrowawayCluster.defaultProjectRoot(environment: environment)
        return .throwawayCluster(try await ThrowawayCluster.forProject(at: root, environment: environment).start(timeout: timeout))
    }
}
