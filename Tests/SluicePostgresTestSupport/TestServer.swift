import Foundation
import SluicePostgres
import SluiceTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// One throwaway PostgreSQL cluster for every test of the process that does not stop or
/// reconfigure its server (the connector, CLI and job tests share it): started on first use
/// in a temporary directory, stopped (and the directory removed) by an `atexit` hook, so no
/// server outlives the test run.
public enum TestServer {
    private static let start: Task<ThrowawayCluster.Server, any Error> = Task {
        let parent = try Fixtures.temporaryDirectory("pgshared")
        chmod(parent.path, 0o755)
        let cluster = ThrowawayCluster(directory: parent.appendingPathComponent("pg", isDirectory: true))
        clusterToStop = (cluster, parent)
        atexit {
            guard let (cluster, parent) = clusterToStop else { return }
            try? cluster.stopBlocking(timeout: .seconds(10))
            try? FileManager.default.removeItem(at: parent)
        }
        return try await cluster.start()
    }

    /// The shared server.
    public static func server() async throws -> ThrowawayCluster.Server { try await start.value }

    /// Its connection URL.
    public static func url() async throws -> String { try await server().connectionURL }

    /// A configuration for the shared server.
    public static func configuration() async throws -> PostgresConfiguration {
        PostgresConfiguration(try await url())
    }

    /// A new connection to the shared server.
    public static func connect() async throws -> PostgresConnection {
        try PostgresConnection(try await configuration())
    }

    /// A new database on the shared server, for tests that own their tables' names (a
    /// job's fixed tables), and its URL.
    public static func freshDatabase(_ prefix: String) async throws -> String {
        let name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try await connect()
        defer { admin.close() }
        try admin.execute("CREATE DATABASE \(try admin.quote(name))")
        let base = try await url()
        guard let slash = base.lastIndex(of: "/") else { return base }
        return String(base[..<slash]) + "/" + name
    }
}

nonisolated(unsafe) private var clusterToStop: (ThrowawayCluster, URL)?
