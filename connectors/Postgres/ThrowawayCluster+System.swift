import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLibPQ

// Small operating-system helpers for ThrowawayCluster: running commands (as the
// `postgres` user when we are root), process liveness, an flock(2) lock, a free
// loopback port, POSIX cksum, and PQping.

/// A command line, kept as an argument vector and printed shell-quoted in errors.
struct ClusterCommand: Sendable, CustomStringConvertible {
    var executable: String
    var arguments: [String]

    var description: String {
        ([executable] + arguments).map(Self.shellQuoted).joined(separator: " ")
    }

    static func shellQuoted(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:@,+%".contains($0) }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// The account the server runs as: the current user, or `postgres` when we are root.
struct ServerAccount: Sendable {
    /// Set when commands must be wrapped to run as another user.
    var switchTo: (name: String, uid: uid_t, gid: gid_t, via: String)?

    var name: String { switchTo?.name ?? (ProcessInfo.processInfo.environment["USER"] ?? "current user") }

    static func current() throws(ThrowawayClusterError) -> ServerAccount {
        guard geteuid() == 0 else { return ServerAccount(switchTo: nil) }
        guard let (uid, gid) = lookUpUser("postgres") else {
            throw .cannotSwitchUser(reason: "running as root and there is no 'postgres' user (install the postgresql package)")
        }
        guard let via = findExecutable("runuser", extra: ["/usr/sbin", "/sbin"]) ?? findExecutable("su", extra: ["/bin"]) else {
            throw .cannotSwitchUser(reason: "running as root and neither runuser nor su is installed")
        }
        return ServerAccount(switchTo: ("postgres", uid, gid, via))
    }

    /// Wraps `command` so that it runs as this account.
    func wrap(_ command: ClusterCommand) -> ClusterCommand {
        guard let target = switchTo else { return command }
        if target.via.hasSuffix("runuser") {
            return ClusterCommand(executable: target.via, arguments: ["-u", target.name, "--", command.executable] + command.arguments)
        }
        // su: the command and its arguments go through sh's "$0" "$@" unchanged.
        return ClusterCommand(
            executable: target.via,
            arguments: [target.name, "-s", "/bin/sh", "-c", "exec \"$0\" \"$@\"", command.executable] + command.arguments
        )
    }

    /// Gives a path we created to this account (a no-op unless we are root).
    func adopt(_ path: String) throws(ThrowawayClusterError) {
        guard let target = switchTo else { return }
        if chown(path, target.uid, target.gid) != 0 {
            throw .fileSystem(operation: "chown to \(target.name)", path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Whether this account can search (and so enter) `path`, and write it when `write` is set.
    func canAccess(_ path: String, write: Bool) -> Bool {
        guard switchTo != nil else { return access(path, write ? (X_OK | W_OK) : X_OK) == 0 }
        let test = ClusterCommand(executable: "/usr/bin/test", arguments: [write ? "-w" : "-x", path])
        guard let result = try? runCommand(wrap(test)) else { return false }
        return result.status == 0 && (!write || canAccess(path, write: false))
    }

    private static func lookUpUser(_ name: String) -> (uid_t, gid_t)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let status = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil else { return nil }
        return (entry.pw_uid, entry.pw_gid)
    }
}

struct CommandResult: Sendable, Equatable {
    var status: Int32
    var output: String
}

/// Runs a command to completion with `posix_spawn` and `waitpid`, stdin from /dev/null,
/// and stdout and stderr captured in a temporary file (not a pipe: a daemon such as the
/// postmaster that inherited a pipe would keep it open). Foundation's `Process` is not
/// used: it reaps children through a dispatch source, which never runs when the dispatch
/// pool's threads are all busy, and `waitUntilExit` then hangs.
func runCommand(_ command: ClusterCommand, in directory: String? = nil) throws(ThrowawayClusterError) -> CommandResult {
    let outputPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("sluice-pg-cmd-\(UUID().uuidString).log").path
    let output = open(outputPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard output >= 0 else {
        throw .fileSystem(operation: "create", path: outputPath, reason: String(cString: strerror(errno)))
    }
    defer {
        close(output)
        unlink(outputPath)
    }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, output, 1)
    posix_spawn_file_actions_adddup2(&actions, output, 2)

    // Default signal handling and an empty mask in the child, whatever this thread blocks.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t(), allSignals = sigset_t()
    sigemptyset(&noSignals)
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    // posix_spawn_file_actions_addchdir_np is not imported into Swift: let sh change directory.
    let words = directory.map { ["/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", $0, command.executable] }
        ?? [command.executable]
    let argv = (words + command.arguments).map { strdup($0) } + [nil]
    // LC_ALL=C: messages we look for ("Address already in use") stay in English.
    var environment = ProcessInfo.processInfo.environment
    environment["LC_ALL"] = "C"
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }

    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, words[0], &actions, &attributes, argv, envp)
    guard spawned == 0 else {
        throw .commandFailed(command: command.description, status: -1, output: "cannot run: \(String(cString: strerror(spawned)))")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else {
            throw .commandFailed(command: command.description, status: -1, output: "waitpid: \(String(cString: strerror(errno)))")
        }
    }
    // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
    let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let text = String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
    return CommandResult(status: exitStatus, output: text)
}

/// Finds an executable by name in `PATH` and then in `extra` directories.
func findExecutable(_ name: String, extra: [String] = []) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":").map(String.init) + extra {
        let candidate = directory + "/" + name
        if access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
}

/// Whether `pid` names a live process (a zombie counts as dead).
func processIsAlive(_ pid: Int32) -> Bool {
    guard pid > 0 else { return false }
    if kill(pid, 0) != 0 && errno != EPERM { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state != "Z" && state != "X"
}

/// Whether `pid` is a PostgreSQL postmaster serving `dataDirectory` (checked on its
/// command line, so that a recycled pid is never signalled).
func processIsPostmaster(_ pid: Int32, dataDirectory: String) -> Bool {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
    let argv = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    guard let program = argv.first?.split(separator: "/").last,
          program == "postgres" || program == "postmaster",
          let flag = argv.firstIndex(of: "-D"), flag + 1 < argv.count else { return false }
    return canonicalPath(argv[flag + 1]) == canonicalPath(dataDirectory)
}

/// `realpath(3)` of `path`, or `path` itself when it does not exist.
func canonicalPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// The POSIX `cksum` CRC of `bytes`, identical to `printf %s "$x" | cksum` in the script.
func posixCksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
    var crc: UInt32 = 0
    func feed(_ byte: UInt8) {
        crc ^= UInt32(byte) << 24
        for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
    }
    var count = 0
    for byte in bytes {
        feed(byte)
        count += 1
    }
    while count > 0 {
        feed(UInt8(truncatingIfNeeded: count))
        count >>= 8
    }
    return ~crc
}

/// A free TCP port on 127.0.0.1, found by binding port 0. Another process may take it
/// before the server binds it; the caller retries with a new port when that happens.
func freeLoopbackPort() -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
        }
    }
    guard bound else { return nil }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// An exclusive `flock(2)` on a lock file, released when the value is closed.
/// The descriptor is close-on-exec so that no server started under the lock inherits it.
final class ClusterLock {
    private var fd: Int32

    init(path: String, timeout: Duration) throws(ThrowawayClusterError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            throw .fileSystem(operation: "open lock file", path: path, reason: String(cString: strerror(errno)))
        }
        let deadline = ContinuousClock.now + timeout
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            guard error == EWOULDBLOCK || error == EINTR else {
                close(descriptor)
                throw .fileSystem(operation: "lock", path: path, reason: String(cString: strerror(error)))
            }
            guard ContinuousClock.now < deadline else {
                close(descriptor)
                throw .lockTimeout(path: path, seconds: Int(timeout.components.seconds))
            }
            usleep(50_000)
        }
        fd = descriptor
    }

    func unlock() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { unlock() }
}

/// Whether a server answers at `conninfo`, according to libpq's `PQping`.
func serverAnswers(_ conninfo: String) -> Bool {
    PQping(conninfo) == PQPING_OK
}

/// Quotes a value for a libpq keyword/value connection string.
func conninfoQuoted(_ value: String) -> String {
    "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
}

/// The last `count` lines of a text file, or a note saying why there are none.
func tail(of path: String, lines count: Int = 20) -> String {
    guard let data = FileManager.default.contents(atPath: path) else { return "(no log at \(path))" }
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    let trimmed = lines.last == "" ? lines.dropLast() : lines[...]
    return trimmed.suffix(count).joined(separator: "\n")
}

/// Sleeps the calling (non-cooperative) thread.
func pause(milliseconds: Int) {
    usleep(useconds_t(milliseconds * 1000))
}
