import ArgumentParser
import Foundation
import SluiceFrame
import SluicePostgres

/// `sluice db start|stop|status|url`: the project's throwaway PostgreSQL cluster
/// (see ``SluicePostgres/ThrowawayCluster``), for demos and local runs.
///
/// Only a directory carrying the cluster's marker file (`SLUICE-THROWAWAY-CLUSTER`, written
/// when the cluster is created), or an empty one, is ever removed or taken over.
///
/// Exit codes: 0 on success, 69 (`EX_UNAVAILABLE`) when the server cannot be started or,
/// for `url`, is not running, 70 (`EX_SOFTWARE`) when it cannot be stopped, 78 when
/// `--directory` names an existing directory that is not a cluster (nothing is changed).
public struct DatabaseCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Start, stop or inspect the project's throwaway PostgreSQL cluster.",
        discussion: """
            The cluster lives in <project>/.sluice/pg (or /tmp/sluice-pg-<cksum>/pg when the \
            postgres user cannot enter the project), runs with fsync off, listens on a free \
            127.0.0.1 port and a unix socket, and trusts local connections as user postgres. \
            scripts/throwaway-pg manages the same cluster from the shell.
            """,
        subcommands: [Start.self, Stop.self, Status.self, URLCommand.self]
    )

    /// Creates the command; ArgumentParser fills in its arguments.
    public init() {}

    /// Options shared by every `db` subcommand: which cluster.
    public struct Location: ParsableArguments {
        @Option(help: ArgumentHelp("The project whose cluster to use.", discussion:
            "Default: SLUICE_PROJECT_ROOT, else the nearest directory at or above the current one with a Package.swift.",
            valueName: "path"))
        var projectRoot: String?

        @Option(help: ArgumentHelp("The cluster directory itself (default: SLUICE_PG_DIR, else the project's).",
                                   valueName: "path"))
        var directory: String?

        /// Creates the options; ArgumentParser fills them in.
        public init() {}

        /// The cluster these options name.
        var cluster: ThrowawayCluster {
            if let directory { return ThrowawayCluster(directory: URL(fileURLWithPath: directory, isDirectory: true)) }
            let root = projectRoot.map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? ThrowawayCluster.defaultProjectRoot()
            return ThrowawayCluster.forProject(at: root)
        }
    }

    /// `sluice db start`: start or reuse the cluster and print its URL.
    public struct Start: AsyncParsableCommand {
        /// The command's name and help.
        public static let configuration = CommandConfiguration(
            abstract: "Start the cluster, or reuse the one already running, and print its URL.")

        @OptionGroup var location: Location

        @Option(help: ArgumentHelp("Seconds to wait for the server to accept connections.", valueName: "seconds"))
        var timeout: Int = 30

        /// Creates the command; ArgumentParser fills in its arguments.
        public init() {}

        /// Rejects a timeout that is not positive.
        public func validate() throws {
            guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        }

        /// Starts or reuses the cluster and prints its URL; exits 69 if it cannot start.
        public func run() async throws {
            let cluster = location.cluster
            do {
                let server = try await cluster.start(timeout: .seconds(timeout))
                printError("sluice db start: \(server.reused ? "reusing" : "started") pid \(server.pid) in \(cluster.directory.path)")
                print(server.connectionURL)
            } catch {
                printError("sluice db start: \(error)")
                throw ExitCode(error.exitStatus.rawValue)
            }
        }
    }

    /// `sluice db stop`: stop the server and remove the cluster directory.
    public struct Stop: AsyncParsableCommand {
        /// The command's name and help.
        public static let configuration = CommandConfiguration(
            abstract: "Stop the server and remove the cluster directory (nothing to do if there is none).")

        @OptionGroup var location: Location

        /// Creates the command; ArgumentParser fills in its arguments.
        public init() {}

        /// Stops the server and removes the directory; exits 70 if that fails.
        public func run() async throws {
            let cluster = location.cluster
            do {
                try await cluster.stop()
            } catch {
                printError("sluice db stop: \(error)")
                throw ExitCode(error.exitStatus == .configuration ? ExitStatus.configuration.rawValue : ExitStatus.software.rawValue)
            }
        }
    }

    /// `sluice db status`: say whether the cluster runs.
    public struct Status: AsyncParsableCommand {
        /// The command's name and help.
        public static let configuration = CommandConfiguration(
            abstract: "Say whether the cluster is running, stale or absent.")

        @OptionGroup var location: Location

        /// Creates the command; ArgumentParser fills in its arguments.
        public init() {}

        /// Prints one line: running (with pid and URL), stale (with the reason) or not running.
        public func run() async throws {
            let cluster = location.cluster
            switch await cluster.status() {
            case let .running(server):
                print("running: pid \(server.pid), \(server.connectionURL), socket \(server.socketDirectory), data \(server.dataDirectory)")
            case let .stale(reason):
                print("stale: \(reason) (sluice db start replaces it)")
            case .absent:
                print("not running: no cluster in \(cluster.directory.path)")
            }
        }
    }

    /// `sluice db url`: print the URL of the running cluster.
    public struct URLCommand: AsyncParsableCommand {
        /// The command's name and help.
        public static let configuration = CommandConfiguration(
            commandName: "url", abstract: "Print the URL of the running cluster.")

        @OptionGroup var location: Location

        @Flag(help: "Print the unix-socket URL instead of the TCP one.")
        var socket = false

        /// Creates the command; ArgumentParser fills in its arguments.
        public init() {}

        /// Prints the URL, or exits 69 when no cluster is running.
        public func run() async throws {
            let cluster = location.cluster
            guard case let .running(server) = await cluster.status() else {
                printError("sluice db url: \(ThrowawayClusterError.notRunning(directory: cluster.directory.path)) (run: sluice db start)")
                throw ExitCode(69)
            }
            print(socket ? server.socketURL : server.connectionURL)
        }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
