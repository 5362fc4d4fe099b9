import Foundation
import SluiceTestSupport
@testable import SluicePostgres
#if canImport(Glibc)
import Glibc
#endif

/// One throwaway cluster for every connector test of this process that does not stop or
/// reconfigure its server: started on first use in a temporary directory, stopped (and the
/// directory removed) by an `atexit` hook, so no server outlives the test run.
enum SharedServer {
    private static let start: Task<ThrowawayCluster.Server, any Error> = Task {
        let parent = try Fixtures.temporaryDirectory("pgshared")
        chmod(parent.path, 0o755)
        let cluster = ThrowawayCluster(directory: parent.appendingPathComponent("pg", isDirectory: true))
        sharedClusterToStop = (cluster, parent)
        atexit {
            guard let (cluster, parent) = sharedClusterToStop else { return }
            try? cluster.stopBlocking(timeout: .seconds(10))
            try? FileManager.default.removeItem(at: parent)
        }
        return try await cluster.start()
    }

    /// The shared server.
    static func server() async throws -> ThrowawayCluster.Server { try await start.value }

    /// A configuration for the shared server.
    static func configuration() async throws -> PostgresConfiguration {
        PostgresConfiguration(try await server().connectionURL)
    }

    /// A new connection to the shared server.
    static func connect() async throws -> PostgresConnection {
        try PostgresConnection(try await configuration())
    }
}

nonisolated(unsafe) private var sharedClusterToStop: (ThrowawayCluster, URL)?

/// A table name unique to this test run.
func uniqueTable(_ prefix: String) -> TableName {
    TableName("\(prefix)_\(UInt32.random(in: 0...UInt32.max))")
}
