import Foundation

/// The directory holding the PostgreSQL server programs (`initdb`, `pg_ctl`, `postgres`)
/// that a ``ThrowawayCluster`` runs.
public struct PostgresBinaries: Sendable, Equatable {
    /// The directory that holds `initdb` and `pg_ctl`.
    public let directory: String

    /// Uses the programs in `directory` as they are (nothing is checked until they run).
    public init(directory: String) {
        self.directory = directory
    }

    /// The path of `initdb`.
    public var initdb: String { directory + "/initdb" }

    /// The path of `pg_ctl`.
    public var pgCtl: String { directory + "/pg_ctl" }

    /// Finds the server programs, trying in order:
    ///
    /// 1. `SLUICE_PG_BINDIR`, when set;
    /// 2. `pg_config --bindir`, when `pg_config` is installed (on Debian it belongs to
    ///    `libpq-dev` and may name a directory without the server);
    /// 3. `/usr/lib/postgresql/<major>/bin`, newest major version first (Debian, Ubuntu);
    /// 4. every directory on `PATH`.
    ///
    /// The first directory that has both `initdb` and `pg_ctl` wins. The script
    /// `scripts/throwaway-pg` searches in the same order.
    ///
    /// - Throws: ``ThrowawayClusterError/binariesNotFound(searched:)`` listing where it looked.
    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ThrowawayClusterError) -> PostgresBinaries {
        var candidates: [String] = []
        if let explicit = environment["SLUICE_PG_BINDIR"], !explicit.isEmpty { candidates.append(explicit) }
        if let pgConfig = findExecutable("pg_config"),
           let result = try? runCommand(ClusterCommand(executable: pgConfig, arguments: ["--bindir"])),
           result.status == 0 {
            candidates.append(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        candidates += debianBinaryDirectories()
        candidates += (environment["PATH"] ?? "").split(separator: ":").map(String.init)

        for directory in candidates where !directory.isEmpty {
            let binaries = PostgresBinaries(directory: directory)
            if access(binaries.initdb, X_OK) == 0 && access(binaries.pgCtl, X_OK) == 0 { return binaries }
        }
        throw .binariesNotFound(searched: candidates.filter { !$0.isEmpty })
    }

    /// `/usr/lib/postgresql/*/bin`, highest major version first ("15" before "9.6").
    static func debianBinaryDirectories(root: String = "/usr/lib/postgresql") -> [String] {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        func key(_ version: String) -> [Int] { version.split(separator: ".").map { Int($0) ?? 0 } }
        return versions
            .sorted { key($0).lexicographicallyPrecedes(key($1)) }
            .reversed()
            .map { "\(root)/\($0)/bin" }
    }
}
