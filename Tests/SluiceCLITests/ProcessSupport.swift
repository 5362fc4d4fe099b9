import Foundation
import Glibc
import SluiceTestSupport

/// The built `sluice` executable.
func sluiceBinary() throws -> URL {
    let binary = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("sluice")
    let candidates = [binary, Fixtures.repositoryRoot.appendingPathComponent(".build/debug/sluice")]
    guard let url = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw CocoaError(.fileNoSuchFile)
    }
    return url
}

/// Runs `sluice` with `arguments` in `directory`, standard output going to `stdoutPath`
/// (when given) and standard input from `stdinPath`; returns the status and stderr.
func runSluice(_ arguments: [String], in directory: URL? = nil, stdoutPath: String? = nil,
               stdinPath: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = try sluiceBinary()
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    if let stdoutPath {
        guard let handle = FileHandle(forWritingAtPath: stdoutPath) else { throw CocoaError(.fileNoSuchFile) }
        process.standardOutput = handle
    } else {
        process.standardOutput = out
    }
    if let stdinPath {
        guard let handle = FileHandle(forReadingAtPath: stdinPath) else { throw CocoaError(.fileNoSuchFile) }
        process.standardInput = handle
    }
    process.standardError = err
    try process.run()
    let stdout = stdoutPath == nil ? out.fileHandleForReading.readDataToEndOfFile() : Data()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// The names in `directory`, sorted.
func listing(_ directory: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
}

/// The file type of `path` (`S_IFCHR`, `S_IFIFO`, …), without following a link.
func fileType(_ path: String) -> mode_t? {
    var st = stat()
    return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : nil
}

/// Runs `sluice` under `posix_spawn` and waits with `wait4`: its status and peak resident
/// memory (KiB), exactly that child's. Standard output and error go to `/dev/null` and
/// `stderrPath`.
func runSluiceMeasured(_ arguments: [String], stderrPath: String) throws -> (status: Int32, signal: Int32, maxRSSKiB: Int) {
    let binary = try sluiceBinary().path
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv = ([binary] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, binary, &actions, nil, argv, environ)
    guard rc == 0 else { throw CocoaError(.fileNoSuchFile) }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let signaled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
    return (signaled ? -1 : (status >> 8) & 0xff, signaled ? status & 0x7f : 0, Int(usage.ru_maxrss))
}
