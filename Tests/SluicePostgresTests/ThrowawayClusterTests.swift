import Testing
import Foundation
import CLibPQ
import SluiceTestSupport
@testable import SluicePostgres
#if canImport(Glibc)
import Glibc
#endif

/// Each test owns a cluster in its own temporary directory, so tests run in parallel
/// without sharing a server, and every test stops its server, even when it fails.
@Suite("Throwaway PostgreSQL cluster")
struct ThrowawayClusterTests {
    @Test("start, connect, reuse on a second start, stop removes everything")
    func startReuseStop() async throws {
        try await withTemporaryCluster { cluster in
            let first = try await cluster.start()
            #expect(!first.reused)
            #expect(try selectOne(first.connectionURL) == "1")
            #expect(try selectOne(first.socketURL) == "1")
            #expect(first.socketDirectory == cluster.directory.path)
            #expect(await cluster.status() == .running(first))

            let second = try await cluster.start()
            #expect(second.reused)
            #expect(second.pid == first.pid && second.port == first.port)

            try await cluster.stop()
            #expect(!processIsAlive(first.pid))
            #expect(!FileManager.default.fileExists(atPath: cluster.directory.path))
            #expect(await cluster.status() == .absent)
        }
    }

    @Test("a postmaster killed with SIGKILL leaves a stale cluster that start replaces")
    func killedPostmasterIsReplaced() async throws {
        try await withTemporaryCluster { cluster in
            let first = try await cluster.start()
            #expect(kill(first.pid, SIGKILL) == 0)
            try await waitUntilDead(first.pid)
            try await expectStale(cluster)
            let second = try await cluster.start()
            #expect(!second.reused)
            #expect(second.pid != first.pid)
            #expect(try selectOne(second.connectionURL) == "1")
        }
    }

    @Test("a pid file naming a dead process, or a live process that is not postgres, is stale",
          arguments: [Int32(999_999_999), getpid()])
    func bogusPidFileIsReplaced(pid: Int32) async throws {
        try await withTemporaryCluster { cluster in
            let data = cluster.dataDirectory.path
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try Data().write(to: cluster.markerFile)   // a cluster Sluice made, left behind
            try "\(pid)\n\(data)\n1700000000\n5432\n/tmp\n127.0.0.1\n  1 2\nready   \n"
                .write(toFile: data + "/postmaster.pid", atomically: true, encoding: .utf8)
            try await expectStale(cluster)
            let server = try await cluster.start()
            #expect(server.pid != pid)
            #expect(try selectOne(server.connectionURL) == "1")
        }
        // The live process named in the bogus file (this test runner) was not signalled.
        #expect(processIsAlive(getpid()))
    }

    @Test("a half-initialised directory is replaced; a long path puts the socket under /tmp")
    func halfInitialisedDirectoryAndLongPath() async throws {
        let long = String(repeating: "d", count: 90)
        try await withTemporaryCluster(subpath: "\(long)/pg") { cluster in
            try FileManager.default.createDirectory(at: cluster.dataDirectory, withIntermediateDirectories: true)
            try Data().write(to: cluster.markerFile)   // initdb of a Sluice cluster was interrupted
            try "junk".write(to: cluster.dataDirectory.appendingPathComponent("PG_VERSION"), atomically: true, encoding: .utf8)
            try await expectStale(cluster)
            let server = try await cluster.start()
            #expect(server.socketDirectory.hasPrefix("/tmp/.sluice-pg-"))
            #expect(try selectOne(server.socketURL) == "1")
            try await cluster.stop()
            #expect(!FileManager.default.fileExists(atPath: server.socketDirectory))
        }
    }

    @Test("concurrent starts of one cluster share one server")
    func concurrentStarts() async throws {
        try await withTemporaryCluster { cluster in
            async let a = cluster.start()
            async let b = cluster.start()
            let (first, second) = try await (a, b)
            #expect(first.pid == second.pid && first.port == second.port)
            #expect(first.reused != second.reused)
        }
    }

    @Test("the script and the Swift helper reuse each other's cluster")
    func scriptSharesTheCluster() async throws {
        try await withTemporaryCluster { cluster in
            // Started by Swift, seen, reused and stopped by the script.
            let server = try await cluster.start()
            #expect(try script("url", cluster) == CommandResult(status: 0, output: server.connectionURL + "\n"))
            #expect(try script("start", cluster).output == server.connectionURL + "\n")
            #expect(try script("status", cluster).status == 0)
            #expect(try script("stop", cluster).status == 0)
            #expect(!processIsAlive(server.pid))
            #expect(await cluster.status() == .absent)
            #expect(try script("status", cluster).status == 3)
            #expect(try script("url", cluster).status == 69)

            // Started by the script, reused by Swift.
            let started = try script("start", cluster)
            #expect(started.status == 0, "\(started.output)")
            let reused = try await cluster.start()
            #expect(reused.reused)
            #expect(started.output == reused.connectionURL + "\n")
        }
    }

    @Test("two processes and this one starting at once share one server")
    func concurrentProcesses() async throws {
        try await withTemporaryCluster { cluster in
            let path = Fixtures.repositoryRoot.appendingPathComponent("scripts/throwaway-pg").path
            let twoStarts = ClusterCommand(executable: "/usr/bin/env", arguments: [
                "SLUICE_PG_DIR=\(cluster.directory.path)", "/bin/bash", "-c",
                "\"$0\" start & \"$0\" start & wait", path,
            ])
            async let fromSwift = cluster.start()
            let fromScripts = try runCommand(twoStarts)
            let server = try await fromSwift
            let urls = fromScripts.output.split(separator: "\n").filter { $0.hasPrefix("postgresql://") }
            #expect(urls == [Substring(server.connectionURL), Substring(server.connectionURL)], "\(fromScripts.output)")
            #expect(try selectOne(server.connectionURL) == "1")
        }
    }

    @Test("stop without a cluster does nothing")
    func stopWithoutCluster() async throws {
        let parent = try Fixtures.temporaryDirectory("pgtest")
        defer { try? FileManager.default.removeItem(at: parent) }
        let cluster = ThrowawayCluster(directory: parent.appendingPathComponent("pg"))
        try await cluster.stop()
        #expect(await cluster.status() == .absent)
    }
}

@Suite("Database target and cluster location")
struct DatabaseTargetTests {
    @Test("the project cluster is .sluice/pg, or the /tmp fallback when postgres cannot enter the project")
    func projectDirectory() {
        let cluster = ThrowawayCluster.forProject(at: Fixtures.repositoryRoot)
        let root = canonicalPath(Fixtures.repositoryRoot.path)
        let expected = root + "/.sluice/pg"
        let fallback = "/tmp/sluice-pg-\(posixCksum(root.utf8))/pg"
        #expect(cluster.directory.path == expected || cluster.directory.path == fallback)
        #expect(cluster.lockFile.path == cluster.directory.path + ".lock")
    }

    @Test("posixCksum matches coreutils cksum",
          arguments: ["", "a", "/work/wt-pg", "héllo wörld", String(repeating: "x", count: 300)])
    func cksumMatchesCoreutils(text: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/cksum")
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        try input.fileHandleForWriting.close()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(printed.split(separator: " ").first.map(String.init) == String(posixCksum(text.utf8)))
    }

    @Test("DATABASE_URL wins, then libpq's PG* variables; neither starts a server")
    func resolveFromEnvironment() async throws {
        let url = "postgresql://u:secret@db.example:5432/app"
        let fromURL = try await DatabaseTarget.resolve(environment: ["DATABASE_URL": url, "PGHOST": "x"])
        #expect(fromURL == .databaseURL(url))
        #expect(fromURL.connectionString == url)
        #expect(!fromURL.description.contains("secret"))

        let fromPG = try await DatabaseTarget.resolve(environment: ["DATABASE_URL": "", "PGSERVICE": "nightly"])
        #expect(fromPG == .libpqEnvironment)
        #expect(fromPG.connectionString == "")
    }
}

// MARK: - Helpers

/// Runs `body` with a cluster in a fresh temporary directory, then stops the cluster and
/// removes the directory whether or not `body` threw.
func withTemporaryCluster(subpath: String = "pg", _ body: (ThrowawayCluster) async throws -> Void) async throws {
    let parent = try Fixtures.temporaryDirectory("pgtest")
    chmod(parent.path, 0o755)  // the postgres user must enter it when the tests run as root
    var path = parent
    for component in subpath.split(separator: "/").dropLast() {
        path.appendPathComponent(String(component), isDirectory: true)
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        chmod(path.path, 0o755)
    }
    let cluster = ThrowawayCluster(directory: parent.appendingPathComponent(subpath, isDirectory: true))
    do {
        try await body(cluster)
    } catch {
        try? await cluster.stop()
        try? FileManager.default.removeItem(at: parent)
        throw error
    }
    try await cluster.stop()
    try FileManager.default.removeItem(at: parent)
}

func expectStale(_ cluster: ThrowawayCluster, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let status = await cluster.status()
    guard case .stale = status else {
        Issue.record("expected a stale cluster, got \(status)", sourceLocation: sourceLocation)
        return
    }
}

/// Runs `scripts/throwaway-pg COMMAND` on the cluster's directory.
func script(_ command: String, _ cluster: ThrowawayCluster) throws -> CommandResult {
    let path = Fixtures.repositoryRoot.appendingPathComponent("scripts/throwaway-pg").path
    let env = ClusterCommand(executable: "/usr/bin/env", arguments: [
        "SLUICE_PG_DIR=\(cluster.directory.path)", "/bin/bash", path, command,
    ])
    var result = try runCommand(env)
    // Keep stdout's URL line only; stderr carries messages.
    if command == "url" || command == "start" {
        result.output = result.output.split(separator: "\n").filter { $0.hasPrefix("postgresql://") }.map { $0 + "\n" }.joined()
    }
    return result
}

struct ConnectionFailed: Error, CustomStringConvertible {
    var description: String
}

/// Connects with libpq and returns the text of `SELECT 1`.
func selectOne(_ url: String) throws -> String? {
    guard let connection = PQconnectdb(url) else { throw ConnectionFailed(description: "PQconnectdb returned nil") }
    defer { PQfinish(connection) }
    guard PQstatus(connection) == CONNECTION_OK else {
        throw ConnectionFailed(description: String(cString: PQerrorMessage(connection)))
    }
    guard let result = PQexec(connection, "SELECT 1") else { throw ConnectionFailed(description: "PQexec returned nil") }
    defer { PQclear(result) }
    guard PQresultStatus(result) == PGRES_TUPLES_OK else {
        throw ConnectionFailed(description: String(cString: PQresultErrorMessage(result)))
    }
    return String(cString: PQgetvalue(result, 0, 0))
}

func waitUntilDead(_ pid: Int32, seconds: Double = 10) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while processIsAlive(pid) && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
    #expect(!processIsAlive(pid))
}
