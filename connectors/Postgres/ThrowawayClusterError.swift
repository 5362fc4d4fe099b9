import SluiceFrame

/// Why a ``ThrowawayCluster`` could not be started, inspected or stopped.
///
/// Every case says what failed; cases about a command carry the command line as it was
/// run, and cases about the server carry the tail of its log, so that the one line a
/// user sees in CI is enough to act on.
public enum ThrowawayClusterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No directory with both `initdb` and `pg_ctl` was found.
    /// - Parameter searched: the directories looked in, in order.
    case binariesNotFound(searched: [String])

    /// Running as root, but there is no `postgres` user to run the server as
    /// (PostgreSQL refuses to run as root), or neither `runuser` nor `su` is installed.
    case cannotSwitchUser(reason: String)

    /// The `postgres` user cannot create or enter the cluster directory, typically
    /// because an ancestor directory is not searchable by other users (mode 0700).
    case directoryNotAccessible(path: String, user: String)

    /// A file-system operation on the cluster directory failed.
    case fileSystem(operation: String, path: String, reason: String)

    /// Another process held the cluster's lock file for longer than the timeout.
    case lockTimeout(path: String, seconds: Int)

    /// A helper command (`initdb`, `pg_ctl`, ...) could not be run or exited non-zero.
    case commandFailed(command: String, status: Int32, output: String)

    /// `pg_ctl start` failed: the server did not come up.
    case serverDidNotStart(command: String, output: String, logFile: String, logTail: String)

    /// The server was started but did not accept connections before the deadline.
    case notAcceptingConnections(url: String, seconds: Int, logFile: String, logTail: String)

    /// The server did not exit after being asked to stop, even after `SIGKILL`.
    case serverDidNotStop(pid: Int32, dataDirectory: String)

    /// `url` or `status` was asked of a cluster that is not running.
    case notRunning(directory: String)

    /// The directory exists, is not empty and carries no cluster marker: it is not a
    /// throwaway cluster's, and nothing in it was removed, signalled or changed.
    case notACluster(path: String)

    /// What failed, then the command's output or the server log's tail, indented, on
    /// the following lines.
    public var description: String {
        switch self {
        case let .binariesNotFound(searched):
            return "PostgreSQL server binaries (initdb, pg_ctl) not found; searched: "
                + searched.joined(separator: ", ")
                + ". Install the `postgresql` package or set SLUICE_PG_BINDIR."
        case let .cannotSwitchUser(reason):
            return "cannot run the PostgreSQL server as a non-root user: \(reason)"
        case let .directoryNotAccessible(path, user):
            return "user '\(user)' cannot enter or write \(path): make its parent directories "
                + "searchable (chmod o+x) or choose another cluster directory"
        case let .fileSystem(operation, path, reason):
            return "could not \(operation) \(path): \(reason)"
        case let .lockTimeout(path, seconds):
            return "timed out after \(seconds) s waiting for the cluster lock \(path) held by another process"
        case let .commandFailed(command, status, output):
            return "command failed with status \(status): \(command)" + Self.indented(output)
        case let .serverDidNotStart(command, output, logFile, logTail):
            return "PostgreSQL server did not start: \(command)" + Self.indented(output)
                + "\nserver log \(logFile), last lines:" + Self.indented(logTail)
        case let .notAcceptingConnections(url, seconds, logFile, logTail):
            return "PostgreSQL server at \(url) did not accept connections within \(seconds) s"
                + "\nserver log \(logFile), last lines:" + Self.indented(logTail)
        case let .serverDidNotStop(pid, dataDirectory):
            return "PostgreSQL server pid \(pid) for \(dataDirectory) did not exit, even after SIGKILL"
        case let .notRunning(directory):
            return "no throwaway PostgreSQL cluster is running in \(directory)"
        case let .notACluster(path):
            return "\(path) is not a Sluice throwaway cluster (it is not empty and has no \(ThrowawayCluster.markerName) marker): "
                + "nothing in it was removed or changed; choose a new or empty directory"
        }
    }

    private static func indented(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        return lines.isEmpty ? "" : "\n" + lines.map { "  " + $0 }.joined(separator: "\n")
    }
}

extension ThrowawayClusterError: ExitClassified {
    /// A directory that is not a cluster's: 78 (the configuration names the wrong
    /// directory); otherwise the local server could not be provided: 69.
    public var exitStatus: ExitStatus {
        if case .notACluster = self { return .configuration }
        return .unavailable
    }
}
