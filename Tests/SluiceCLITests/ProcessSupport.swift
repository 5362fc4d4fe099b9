import Foundation
import Glibc
import SluiceTestSupport

/// Runs `sluice` with `arguments` in `directory`, `environment` added to this process's
/// (DATABASE_URL removed unless given, so no test reaches a database by accident), standard
/// input from `stdin` or `stdinPath`, standard output to `stdoutPath` when given; returns the
/// status and what it printed.
func runSluice(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
               in directory: URL? = nil, stdoutPath: String? = nil,
               stdinPath: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = try sluiceBinary()
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["DATABASE_URL"] = nil
    env.merge(environment) { _, new in new }
    process.environment = env
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe(), input = Pipe()
    if let stdoutPath {
        guard let handle = FileHandle(forWritingAtPath: stdoutPath) else { throw CocoaError(.fileNoSuchFile) }
        process.standardOutput = handle
    } else {
        process.standardOutput = out
    }
    if let stdinPath {
        guard let handle = FileHandle(forReadingAtPath: stdinPath) else { throw CocoaError(.fileNoSuchFile) }
        process.standardInput = handle
    } else {
        process.standardInput = input
    }
    process.standardError = err
    try process.run()
    if stdinPath == nil {
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
    }
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

/// Runs `sluice` and returns its status, the signal that ended it (0: none) and its peak
/// resident memory in KiB, exactly that process's. Standard output goes to `/dev/null`,
/// standard error to `stderrPath`.
///
/// The child is started by a small Python process: a child spawned straight from the test
/// process inherits the test's own (large, varying) peak RSS in `ru_maxrss`, because Linux
/// keeps the high-water mark of the address space it replaced at `exec`.
func runSluiceMeasured(_ arguments: [String], stderrPath: String) throws -> (status: Int32, signal: Int32, maxRSSKiB: Int) {
    let script = """
        import resource, subprocess, sys
        with open(sys.argv[1], "w") as err:
            r = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=err)
        print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, stderrPath, try sluiceBinary().path] + arguments
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let fields = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    guard fields.count == 2 else { throw CocoaError(.fileReadCorruptFile) }
    return (fields[0] < 0 ? -1 : Int32(fields[0]), fields[0] < 0 ? Int32(-fields[0]) : 0, fields[1])
}
