import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private, disposable PostgreSQL cluster for tests and demos, run from the system's
/// server binaries in a directory of the project.
///
/// The cluster is tuned for speed and throwaway data (`fsync`, `synchronous_commit` and
/// `full_page_writes` off), listens on a free TCP port on 127.0.0.1 and on a unix socket,
/// and trusts every local connection as the superuser `postgres`. Never put data in it
/// that you want to keep.
///
/// ## Layout
///
/// For a cluster directory `D` (by default `<project>/.sluice/pg`):
///
/// | path | what |
/// |---|---|
/// | `D/data/` | the data directory (`PGDATA`); `D/data/postmaster.pid` says pid, port and socket directory |
/// | `D/server.log` | the server log |
/// | `D/.s.PGSQL.<port>` | the unix socket, or in `/tmp/.sluice-pg-<cksum of D>` when `D` is too long for a socket path |
/// | `D/SLUICE-THROWAWAY-CLUSTER` | the marker: written when the cluster is created; nothing removes or takes over a directory without it |
/// | `D.lock` (next to `D`) | an `flock(2)` lock held while a process starts or stops the cluster |
///
/// The script `scripts/throwaway-pg` uses the same layout, so the two reuse each
/// other's running cluster.
///
/// ## Root
///
/// PostgreSQL refuses to run as root. When the current user is root, `initdb` and
/// `pg_ctl` run as the `postgres` user (through `runuser`, or `su` when `runuser` is
/// missing) and `D` is owned by `postgres`.
///
/// ## Life cycle
///
/// ``start(timeout:)`` reuses a running cluster in `D` (its `postmaster.pid` names a live
/// postgres that answers `PQping`), and otherwise removes whatever is left in `D` (a pid
/// file of a dead process, a half-initialised directory, a stopped cluster) and creates a
/// fresh one. ``stop(timeout:)`` shuts the server down and removes `D`. Both hold the lock
/// file, so concurrent calls from several processes are safe.
///
/// Only a directory that carries the marker file `D/SLUICE-THROWAWAY-CLUSTER` (written when
/// the cluster is created), or an empty one, is ever removed, signalled or handed to the
/// `postgres` user: for any other existing directory both operations throw
/// ``ThrowawayClusterError/notACluster(path:)`` and change nothing.
///
/// The blocking work (running `initdb`, waiting for the server) happens on a thread of
/// its own, not on Swift's cooperative thread pool.
public struct ThrowawayCluster: Sendable, Equatable {
    /// The cluster directory `D`.
    public let directory: URL

    /// The server programs to use; `nil` finds them with ``PostgresBinaries/locate(environment:)``.
    public let binaries: PostgresBinaries?

    /// A cluster in `directory`, created on ``start(timeout:)`` if needed. The parent of
    /// `directory` is created if missing; it holds the lock file.
    ///
    /// When running as root, the `postgres` user must be able to search every ancestor of
    /// `directory`; ``start(timeout:)`` throws
    /// ``ThrowawayClusterError/directoryNotAccessible(path:user:)`` otherwise.
    /// ``forProject(at:environment:)`` picks a directory where this holds.
    public init(directory: URL, binaries: PostgresBinaries? = nil) {
        self.directory = directory.standardizedFileURL
        self.binaries = binaries
    }

    // MARK: Paths

    var directoryPath: String {
        let path = directory.path
        return path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// `D/data`, the server's data directory.
    public var dataDirectory: URL { URL(fileURLWithPath: directoryPath + "/data", isDirectory: true) }

    /// `D/server.log`, the server log.
    public var logFile: URL { URL(fileURLWithPath: directoryPath + "/server.log") }

    /// `D.lock`, next to the cluster directory, locked with `flock(2)` while a process
    /// starts or stops the cluster.
    public var lockFile: URL { URL(fileURLWithPath: directoryPath + ".lock") }

    var pidFilePath: String { dataDirectory.path + "/postmaster.pid" }

    /// The marker file's name inside the cluster directory.
    public static let markerName = "SLUICE-THROWAWAY-CLUSTER"

    /// `D/SLUICE-THROWAWAY-CLUSTER`: says the directory is a throwaway cluster's.
    public var markerFile: URL { URL(fileURLWithPath: directoryPath + "/" + Self.markerName) }

    /// Whether Sluice may remove or take over `D`: it does not exist, is empty, or carries
    /// the marker (a regular file, not a link).
    func ownsDirectory() -> Bool {
        var st = stat()
        guard lstat(directoryPath, &st) == 0 else { return true }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return false }
        var marker = stat()
        if lstat(markerFile.path, &marker) == 0, (marker.st_mode & S_IFMT) == S_IFREG { return true }
        return ((try? FileManager.default.contentsOfDirectory(atPath: directoryPath)) ?? ["?"]).isEmpty
    }

    private func requireOwnership() throws(ThrowawayClusterError) {
        if !ownsDirectory() { throw .notACluster(path: directoryPath) }
    }

    /// Where the unix socket goes: `D` itself, unless `D/.s.PGSQL.65535` would exceed the
    /// 107-byte limit of a socket path.
    var socketDirectoryPath: String {
        directoryPath.utf8.count + "/.s.PGSQL.65535".utf8.count <= 107
            ? directoryPath
            : "/tmp/.sluice-pg-\(posixCksum(directoryPath.utf8))"
    }

    // MARK: Project default

    /// The cluster for the project at `root`: `<root>/.sluice/pg`.
    ///
    /// When running as root and the `postgres` user cannot enter `<root>` (for example a
    /// clone under `/root`, mode 0700), the cluster goes to `/tmp/sluice-pg-<N>/pg`
    /// instead, where `N` is the POSIX `cksum` of the canonical path of `root` (the same
    /// rule as `scripts/throwaway-pg`, so both find the same cluster). `SLUICE_PG_DIR`,
    /// when set, overrides both.
    ///
    /// When running as root this runs `test` as the `postgres` user once, to check access.
    public static func forProject(
        at root: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> ThrowawayCluster {
        if let explicit = environment["SLUICE_PG_DIR"], !explicit.isEmpty {
            return ThrowawayCluster(directory: URL(fileURLWithPath: explicit, isDirectory: true))
        }
        let rootPath = canonicalPath(root.standardizedFileURL.path)
        let preferred = URL(fileURLWithPath: rootPath + "/.sluice/pg", isDirectory: true)
        guard geteuid() == 0, let account = try? ServerAccount.current() else {
            return ThrowawayCluster(directory: preferred)
        }
        let sluiceDirectory = rootPath + "/.sluice"
        let probe = FileManager.default.fileExists(atPath: sluiceDirectory) ? sluiceDirectory : rootPath
        if account.canAccess(probe, write: false) { return ThrowawayCluster(directory: preferred) }
        let fallback = "/tmp/sluice-pg-\(posixCksum(rootPath.utf8))/pg"
        return ThrowawayCluster(directory: URL(fileURLWithPath: fallback, isDirectory: true))
    }

    /// The project root used when none is given: `SLUICE_PROJECT_ROOT` if set, else the
    /// nearest directory at or above the current directory that holds `Package.swift`,
    /// else the current directory.
    public static func defaultProjectRoot(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> URL {
        if let explicit = environment["SLUICE_PROJECT_ROOT"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        var candidate = current
        while true {
            if FileManager.default.fileExists(atPath: candidate.path + "/Package.swift") { return candidate }
            let parent = candidate.deletingLastPathComponent()
            if parent.path == candidate.path { return current }
            candidate = parent
        }
    }

    // MARK: Public operations

    /// Starts the cluster, or reuses the one already running in ``directory``.
    ///
    /// A cluster is reused when `postmaster.pid` names a live postgres process of this data
    /// directory that accepts connections on both its TCP port and its unix socket. Anything
    /// else found in the directory is stale: a surviving server that does not answer is
    /// shut down, and the directory is removed and created afresh.
    ///
    /// - Parameter timeout: how long to wait for the lock, for `initdb`, and for the
    ///   server to accept connections (checked with `PQping`).
    /// - Returns: the running server; ``Server/reused`` says whether it was already running.
    /// - Throws: ``ThrowawayClusterError``; when the server fails to start, the error
    ///   carries the command and the tail of the server log.
    public func start(timeout: Duration = .seconds(30)) async throws(ThrowawayClusterError) -> Server {
        try await offload { () throws(ThrowawayClusterError) in try startBlocking(timeout: timeout) }
    }

    /// Stops the server (fast shutdown: open sessions are ended) and removes the cluster
    /// directory. Does nothing when there is no cluster.
    ///
    /// - Parameter timeout: how long the server may take to shut down before it is killed.
    public func stop(timeout: Duration = .seconds(30)) async throws(ThrowawayClusterError) {
        try await offload { () throws(ThrowawayClusterError) in try stopBlocking(timeout: timeout) }
    }

    /// What is in ``directory`` now, without changing anything or taking the lock.
    public func status() async -> Status {
        await offloadResult { () -> Result<Status, Never> in
            switch inspect(waitForStartup: .zero) {
            case .absent: return .success(.absent)
            case let .running(server): return .success(.running(server))
            case let .stale(reason, _): return .success(.stale(reason: reason))
            }
        }.get()
    }

    // MARK: Inspecting

    /// What ``status()`` finds.
    public enum Status: Sendable, Equatable {
        /// There is no cluster directory.
        case absent
        /// A server is running and accepts connections.
        case running(Server)
        /// The directory holds no usable server; ``start(timeout:)`` will replace it.
        case stale(reason: String)
    }

    enum Inspection {
        case absent
        case running(Server)
        /// `stuckPostmaster` is a live postgres of this cluster that does not answer.
        case stale(reason: String, stuckPostmaster: Int32?)
    }

    func inspect(waitForStartup: Duration) -> Inspection {
        guard FileManager.default.fileExists(atPath: directoryPath) else { return .absent }
        guard FileManager.default.fileExists(atPath: pidFilePath) else {
            return .stale(reason: "no postmaster.pid in \(dataDirectory.path): the cluster is stopped or half-initialised", stuckPostmaster: nil)
        }
        let deadline = ContinuousClock.now + waitForStartup
        while true {
            guard let pidFile = PostmasterPidFile(path: pidFilePath) else {
                return .stale(reason: "unreadable \(pidFilePath)", stuckPostmaster: nil)
            }
            guard processIsAlive(pidFile.pid) else {
                return .stale(reason: "postmaster.pid names pid \(pidFile.pid), which is not running", stuckPostmaster: nil)
            }
            guard processIsPostmaster(pidFile.pid, dataDirectory: dataDirectory.path) else {
                return .stale(reason: "postmaster.pid names pid \(pidFile.pid), which is not this cluster's postgres", stuckPostmaster: nil)
            }
            let server = Server(pidFile: pidFile, reused: false)
            if let server, serverAnswers(server.tcpConninfo) && serverAnswers(server.socketConninfo) {
                return .running(server)
            }
            if ContinuousClock.now >= deadline {
                return .stale(reason: "postgres pid \(pidFile.pid) does not accept connections", stuckPostmaster: pidFile.pid)
            }
            pause(milliseconds: 100)
        }
    }

    // MARK: Starting

    func startBlocking(timeout: Duration) throws(ThrowawayClusterError) -> Server {
        let deadline = ContinuousClock.now + timeout
        let account = try ServerAccount.current()
        try makeDirectory(directory.deletingLastPathComponent().path, account: nil)
        try requireOwnership()
        let lock = try ClusterLock(path: lockFile.path, timeout: timeout)
        defer { lock.unlock() }

        switch inspect(waitForStartup: .seconds(3)) {
        case var .running(server):
            server.reused = true
            return server
        case let .stale(_, stuck):
            try requireOwnership()
            if let stuck { try terminate(stuck, signal: SIGQUIT, grace: .seconds(5)) }
            try removeClusterFiles()
        case .absent:
            break
        }

        let binaries = if let binaries = self.binaries { binaries } else { try PostgresBinaries.locate() }
        try requireOwnership()
        try makeDirectory(directoryPath, account: nil)
        do {
            try Data("A Sluice throwaway PostgreSQL cluster: `sluice db stop` removes this directory.\n".utf8)
                .write(to: markerFile)
        } catch {
            throw .fileSystem(operation: "write the marker", path: markerFile.path, reason: "\(error)")
        }
        try account.adopt(directoryPath)
        if account.switchTo != nil && !account.canAccess(directoryPath, write: true) {
            try? removeClusterFiles()
            throw .directoryNotAccessible(path: directoryPath, user: account.name)
        }
        let socketDirectory = socketDirectoryPath
        if socketDirectory != directoryPath {
            // Named after this cluster and we hold its lock: whatever is there is left over.
            try? FileManager.default.removeItem(atPath: socketDirectory)
            try makeDirectory(socketDirectory, account: account)
        }

        let initdb = account.wrap(ClusterCommand(executable: binaries.initdb, arguments: [
            "-D", dataDirectory.path, "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--no-locale", "--no-sync",
        ]))
        let result = try runCommand(initdb, in: directoryPath)
        guard result.status == 0 else {
            throw .commandFailed(command: initdb.description, status: result.status, output: result.output)
        }
        try configure(socketDirectory: socketDirectory, account: account)
        return try launch(binaries: binaries, account: account, deadline: deadline, timeout: timeout)
    }

    /// Settings appended to `postgresql.conf` and the whole of `pg_hba.conf`.
    private func configure(socketDirectory: String, account: ServerAccount) throws(ThrowawayClusterError) {
        let quotedSocket = socketDirectory.replacingOccurrences(of: "'", with: "''")
        let settings = """

            # Sluice throwaway cluster: fast and disposable, never for data worth keeping.
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '\(quotedSocket)'
            max_connections = 64
            fsync = off
            synchronous_commit = off
            full_page_writes = off

            """
        let hba = """
            # Sluice throwaway cluster: trust local connections only.
            local all all trust
            host  all all 127.0.0.1/32 trust

            """
        let conf = dataDirectory.path + "/postgresql.conf"
        let hbaPath = dataDirectory.path + "/pg_hba.conf"
        guard let handle = FileHandle(forWritingAtPath: conf) else {
            throw .fileSystem(operation: "append settings to", path: conf, reason: "cannot open for writing")
        }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(settings.utf8))
            try handle.close()
            // Not atomic: rewriting in place keeps the file owned by the server's account.
            try hba.write(toFile: hbaPath, atomically: false, encoding: .utf8)
        } catch {
            throw .fileSystem(operation: "write", path: hbaPath, reason: "\(error)")
        }
        try account.adopt(hbaPath)
    }

    /// Runs `pg_ctl start` on a free port (retrying with another port if it was taken in
    /// the meantime), then waits until the server answers `PQping`.
    private func launch(
        binaries: PostgresBinaries, account: ServerAccount, deadline: ContinuousClock.Instant, timeout: Duration
    ) throws(ThrowawayClusterError) -> Server {
        let logPath = logFile.path
        for attempt in 1...3 {
            guard let port = freeLoopbackPort() else {
                throw .fileSystem(operation: "find a free port on", path: "127.0.0.1", reason: String(cString: strerror(errno)))
            }
            let logOffset = (try? FileManager.default.attributesOfItem(atPath: logPath)[.size] as? Int) ?? 0
            let remaining = max(1, Int((deadline - ContinuousClock.now).components.seconds))
            let pgCtl = account.wrap(ClusterCommand(executable: binaries.pgCtl, arguments: [
                "-D", dataDirectory.path, "-l", logPath, "-o", "-p \(port)", "-w", "-t", "\(remaining)", "start",
            ]))
            let result = try runCommand(pgCtl, in: directoryPath)
            if result.status == 0 { break }

            try killLeftoverPostmaster()
            let newLog = String(decoding: (FileManager.default.contents(atPath: logPath) ?? Data()).dropFirst(logOffset), as: UTF8.self)
            if attempt < 3 && newLog.contains("Address already in use") && ContinuousClock.now < deadline { continue }
            throw .serverDidNotStart(command: pgCtl.description, output: result.output, logFile: logPath, logTail: tail(of: logPath))
        }

        while true {
            if case let .running(server) = inspect(waitForStartup: .zero) { return server }
            if ContinuousClock.now >= deadline {
                let url = PostmasterPidFile(path: pidFilePath).flatMap { Server(pidFile: $0, reused: false) }?.connectionURL ?? directoryPath
                try? killLeftoverPostmaster()
                throw .notAcceptingConnections(
                    url: url, seconds: Int(timeout.components.seconds),
                    logFile: logPath, logTail: tail(of: logPath))
            }
            pause(milliseconds: 50)
        }
    }

    private func killLeftoverPostmaster() throws(ThrowawayClusterError) {
        guard let pidFile = PostmasterPidFile(path: pidFilePath),
              processIsAlive(pidFile.pid),
              processIsPostmaster(pidFile.pid, dataDirectory: dataDirectory.path) else { return }
        try terminate(pidFile.pid, signal: SIGQUIT, grace: .seconds(5))
    }

    // MARK: Stopping

    /// Stops the server synchronously (for `atexit` hooks, where no task can be awaited).
    public func stopBlocking(timeout: Duration) throws(ThrowawayClusterError) {
        let parent = directory.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent) else { return }
        try requireOwnership()
        let lock = try ClusterLock(path: lockFile.path, timeout: timeout)
        defer { lock.unlock() }
        try requireOwnership()
        if let pidFile = PostmasterPidFile(path: pidFilePath),
           processIsAlive(pidFile.pid),
           processIsPostmaster(pidFile.pid, dataDirectory: dataDirectory.path) {
            try terminate(pidFile.pid, signal: SIGINT, grace: timeout)
        }
        try removeClusterFiles()
    }

    /// Sends `signal` to the postmaster (SIGINT: fast shutdown, SIGQUIT: immediate) and
    /// waits up to `grace`; then sends SIGKILL and waits five more seconds.
    private func terminate(_ pid: Int32, signal: Int32, grace: Duration) throws(ThrowawayClusterError) {
        for (signal, wait) in [(signal, grace), (SIGKILL, Duration.seconds(5))] {
            kill(pid, signal)
            let deadline = ContinuousClock.now + wait
            while processIsAlive(pid) && ContinuousClock.now < deadline { pause(milliseconds: 20) }
            if !processIsAlive(pid) { return }
        }
        throw .serverDidNotStop(pid: pid, dataDirectory: dataDirectory.path)
    }

    private func removeClusterFiles() throws(ThrowawayClusterError) {
        try requireOwnership()
        let socketDirectory = PostmasterPidFile(path: pidFilePath)?.socketDirectory
        for path in [socketDirectoryPath, socketDirectory].compactMap({ $0 }) where path != directoryPath && path.hasPrefix("/tmp/.sluice-pg-") {
            try? FileManager.default.removeItem(atPath: path)
        }
        guard FileManager.default.fileExists(atPath: directoryPath) else { return }
        do {
            try FileManager.default.removeItem(atPath: directoryPath)
        } catch {
            throw .fileSystem(operation: "remove", path: directoryPath, reason: "\(error)")
        }
    }

    /// Creates `path` (mode 0755) unless it exists, and gives it to `account` when set.
    private func makeDirectory(_ path: String, account: ServerAccount?) throws(ThrowawayClusterError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return }
            throw .fileSystem(operation: "create directory", path: path, reason: "a file is in the way")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(operation: "create directory", path: path, reason: "\(error)")
        }
        chmod(path, 0o755)
        if let account { try account.adopt(path) }
    }

    // MARK: Off the cooperative pool

    // The blocking work runs on a thread of its own: on Swift's cooperative pool it would
    // hold one of as few threads as there are cores, and on a dispatch queue it could
    // starve other dispatch work.

    private func offload<T: Sendable>(_ work: @escaping @Sendable () throws(ThrowawayClusterError) -> T) async throws(ThrowawayClusterError) -> T {
        let result: Result<T, ThrowawayClusterError> = await offloadResult {
            do throws(ThrowawayClusterError) { return .success(try work()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private func offloadResult<T: Sendable, E: Error>(_ work: @escaping @Sendable () -> Result<T, E>) async -> Result<T, E> {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}

// MARK: - Server

extension ThrowawayCluster {
    /// A running throwaway server, as described by its `postmaster.pid`.
    public struct Server: Sendable, Equatable {
        /// The postmaster's process id.
        public let pid: Int32
        /// The TCP port on 127.0.0.1.
        public let port: Int
        /// The directory holding the unix socket `.s.PGSQL.<port>`.
        public let socketDirectory: String
        /// The data directory.
        public let dataDirectory: String
        /// Whether ``ThrowawayCluster/start(timeout:)`` found this server already running.
        public internal(set) var reused: Bool

        /// `postgresql://postgres@127.0.0.1:<port>/postgres`: TCP on loopback, superuser
        /// `postgres`, no password (trust authentication).
        public var connectionURL: String { "postgresql://postgres@127.0.0.1:\(port)/postgres" }

        /// The same database over the unix socket:
        /// `postgresql://postgres@/postgres?host=<socket directory>&port=<port>`.
        public var socketURL: String {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "/-._~")
            let host = socketDirectory.addingPercentEncoding(withAllowedCharacters: allowed) ?? socketDirectory
            return "postgresql://postgres@/postgres?host=\(host)&port=\(port)"
        }

        var tcpConninfo: String { "host=127.0.0.1 port=\(port) dbname=postgres user=postgres connect_timeout=2" }
        var socketConninfo: String {
            "host=\(conninfoQuoted(socketDirectory)) port=\(port) dbname=postgres user=postgres connect_timeout=2"
        }

        init?(pidFile: PostmasterPidFile, reused: Bool) {
            guard pidFile.port > 0, !pidFile.socketDirectory.isEmpty else { return nil }
            pid = pidFile.pid
            port = pidFile.port
            socketDirectory = pidFile.socketDirectory
            dataDirectory = pidFile.dataDirectory
            self.reused = reused
        }
    }
}

/// The lines of `postmaster.pid`: pid, data directory, start time, port, first socket
/// directory, first listen address, shared memory key, status.
struct PostmasterPidFile {
    var pid: Int32
    var dataDirectory: String
    var port: Int
    var socketDirectory: String
    var status: String

    init?(path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let lines = String(decoding: data, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = lines.first, let pid = Int32(first), pid > 0 else { return nil }
        func line(_ number: Int) -> String { number <= lines.count ? lines[number - 1] : "" }
        self.pid = pid
        dataDirectory = line(2)
        port = Int(line(4)) ?? 0
        socketDirectory = line(5)
        status = line(8)
    }
}
