import Foundation
import Testing
@testable import SluicePostgres
import SluicePostgresTestSupport
import SluiceTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The CLI tests' server: the process's one shared throwaway cluster.
typealias CLIServer = TestServer

@Suite("sluice load / export / db against PostgreSQL (issue 9)", .serialized)
struct DatabaseHardeningTests {
    func table(_ prefix: String) -> String { "\(prefix)_\(UInt32.random(in: 0...UInt32.max))" }

    func rows(_ sql: String) async throws -> [[String?]] { try await CLIServer.connect().rows(sql) }

    func csv(_ text: String, _ name: String = "in.csv") throws -> URL {
        let url = try Fixtures.temporaryDirectory("clicsv").appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    // MARK: 1. Secrets, through --database-url and DATABASE_URL

    @Test("no secret in stdout or stderr, for each malformed or unencoded connection string, by flag and by environment", arguments: HostileInputs.connectionStrings)
    func secrets(url: String) throws {
        let dir = try Fixtures.temporaryDirectory("clisecret")
        let output = dir.appendingPathComponent("f.csv").path
        let byFlag = try runSluice(["export", "--database-url", url, "--query", "select 1", "--output", output], environment: [:])
        let byEnvironment = try runSluice(["export", "--query", "select 1", "--output", output], environment: ["DATABASE_URL": url])
        for run in [byFlag, byEnvironment] {
            let all = run.stdout + run.stderr
            for piece in ["SEKRET", "SEK RET", "SEK#RET", "SEK?RET", "SEK\nRET", "RET@"] {
                #expect(!all.contains(piece), "\(piece) shown: \(all)")
            }
            #expect(run.status == 78 || run.status == 69, "\(run.status): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output))
        }
    }

    // MARK: 2. No value changed silently

    @Test("append, replace, upsert of 0.73 into an int column: refused (65) naming column, types and line; the table unchanged",
          arguments: ["append", "replace", "upsert"])
    func fractionIntoInteger(mode: String) async throws {
        let url = try await CLIServer.url()
        let name = table("score")
        let admin = try await CLIServer.connect()
        try admin.execute("CREATE TABLE \(name) (id int PRIMARY KEY, score int)")
        try admin.execute("INSERT INTO \(name) VALUES (9, 9)")
        let r = try runSluice(["load", "-", "--table", name, "--mode", mode, "--key", "id"],
                              environment: ["DATABASE_URL": url], stdin: "id,score\n1,0.73\n2,0.5\n")
        #expect(r.status == 65, "\(r.stderr)")
        let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.contains(":2:2:") && first.contains("'score'") && first.contains("integer") && first.contains("0.73"), "\(first)")
        #expect(try await rows("SELECT id, score FROM \(name)") == [["9", "9"]])
    }

    @Test("2.5 into bigint and a timestamp into a date are refused; \"1.50\" into text and numeric lands as written")
    func valuesKeptOrRefused() async throws {
        let url = try await CLIServer.url()
        let name = table("kinds")
        try await CLIServer.connect().execute("CREATE TABLE \(name) (id bigint, d date, s text, n numeric)")
        let bigint = try runSluice(["load", try csv("id\n1\n2.5\n3.7\n-0.5\n").path, "--table", name, "--mode", "append"],
                                   environment: ["DATABASE_URL": url])
        #expect(bigint.status == 65 && bigint.stderr.contains(":3:1:") && bigint.stderr.contains("bigint"), "\(bigint.stderr)")
        let date = try runSluice(["load", try csv("id,d\n1,2024-01-02\n2,2024-01-02T10:00:00\n").path, "--table", name, "--mode", "append"],
                                 environment: ["DATABASE_URL": url])
        #expect(date.status == 65 && date.stderr.contains(":3:2:") && date.stderr.contains("date"), "\(date.stderr)")
        #expect(try await rows("SELECT count(*) FROM \(name)") == [["0"]])
        let text = try runSluice(["load", try csv("id,s,n\n1,1.50,1.50\n").path, "--table", name, "--mode", "append"],
                                 environment: ["DATABASE_URL": url])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(try await rows("SELECT s, n::text FROM \(name)") == [["1.50", "1.50"]])
    }

    @Test("a header-only CSV with --mode create is refused (65) and creates no table")
    func headerOnlyCreate() async throws {
        let url = try await CLIServer.url()
        let name = table("empty")
        let r = try runSluice(["load", try csv("id,score\n").path, "--table", name], environment: ["DATABASE_URL": url])
        #expect(r.status == 65 && r.stderr.contains("--type"), "\(r.stderr)")
        #expect(try await rows("SELECT to_regclass('\(name)') IS NULL") == [["t"]])
    }

    // MARK: 3. Exit codes

    @Test("user errors are not 70: syntax 65, empty query 64, text into bigint 65, missing schema 65, repeated upsert key 65 with both lines, 2000 columns 65")
    func exitCodes() async throws {
        let url = try await CLIServer.url()
        let env = ["DATABASE_URL": url]
        let out = try Fixtures.temporaryDirectory("cliexit").appendingPathComponent("f.csv").path
        #expect(try runSluice(["export", "--query", "selec 1", "--output", out], environment: env).status == 65)
        #expect(try runSluice(["export", "--query", "", "--output", out], environment: env).status == 64)
        let name = table("codes")
        try await CLIServer.connect().execute("CREATE TABLE \(name) (id bigint PRIMARY KEY, v text)")
        #expect(try runSluice(["load", try csv("id\nabc\n").path, "--table", name, "--mode", "append"], environment: env).status == 65)
        let schema = try runSluice(["load", try csv("id\n1\n").path, "--table", "t", "--schema", "no_such_schema"], environment: env)
        #expect(schema.status == 65 && schema.stderr.contains("no_such_schema"), "\(schema.stderr)")
        let repeated = try runSluice(["load", try csv("id,v\n1,a\n2,b\n1,c\n").path, "--table", name, "--mode", "upsert", "--key", "id"],
                                     environment: env)
        #expect(repeated.status == 65 && repeated.stderr.contains("lines 2 and 4") && repeated.stderr.contains("(id) = (1)"), "\(repeated.stderr)")
        let wide = table("wide")
        let header = (0..<2000).map { "c\($0)" }.joined(separator: ",")
        let values = (0..<2000).map { _ in "1" }.joined(separator: ",")
        let tooWide = try runSluice(["load", try csv("\(header)\n\(values)\n").path, "--table", wide], environment: env)
        #expect(tooWide.status == 65 && tooWide.stderr.contains("2000 columns"), "\(tooWide.stderr)")
        #expect(try await rows("SELECT to_regclass('\(wide)') IS NULL") == [["t"]])
        #expect(try await rows("SELECT count(*) FROM \(name)") == [["0"]])
    }

    @Test("no CREATE permission exits 77; a lock timeout exits 75")
    func privilegeAndLock() async throws {
        let url = try await CLIServer.url()
        let admin = try await CLIServer.connect()
        let role = "nocreate_\(UInt32.random(in: 0...UInt32.max))"
        try admin.execute("CREATE ROLE \(role) LOGIN")
        let roleURL = url.replacingOccurrences(of: "postgres@", with: "\(role)@")
        let denied = try runSluice(["load", try csv("id\n1\n").path, "--table", table("denied")], environment: ["DATABASE_URL": roleURL])
        #expect(denied.status == 77, "\(denied.stderr)")

        let name = table("locked")
        try admin.execute("CREATE TABLE \(name) (id bigint)")
        try admin.execute("BEGIN")
        try admin.execute("LOCK TABLE \(name) IN ACCESS EXCLUSIVE MODE")
        let waiting = try runSluice(["load", try csv("id\n1\n").path, "--table", name, "--mode", "append"],
                                    environment: ["DATABASE_URL": url + "?options=-c%20lock_timeout%3D300"])
        try admin.execute("ROLLBACK")
        #expect(waiting.status == 75, "\(waiting.stderr)")
    }

    @Test("export of INSERT … RETURNING fails (65) and commits nothing")
    func exportIsReadOnly() async throws {
        let url = try await CLIServer.url()
        let name = table("ro")
        try await CLIServer.connect().execute("CREATE TABLE \(name) (a int)")
        let out = try Fixtures.temporaryDirectory("cliro").appendingPathComponent("f.csv").path
        let r = try runSluice(["export", "--query", "insert into \(name) values (1) returning *", "--output", out],
                              environment: ["DATABASE_URL": url])
        #expect(r.status == 65 && r.stderr.contains("read-only"), "\(r.stderr)")
        #expect(try await rows("SELECT count(*) FROM \(name)") == [["0"]])
    }

    // MARK: 5. db stop / start never touch a directory that is not a cluster

    @Test("db stop and db start --directory on a non-cluster directory exit 78 and leave it intact")
    func dbDirectory() throws {
        let parent = try Fixtures.temporaryDirectory("clidb")
        let victim = parent.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        try "keep".write(to: victim.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        for command in ["stop", "start"] {
            let r = try runSluice(["db", command, "--directory", victim.path], environment: [:])
            #expect(r.status == 78 && r.stderr.contains("not a Sluice throwaway cluster"), "\(command): \(r.stderr)")
            #expect(try String(contentsOf: victim.appendingPathComponent("notes.txt"), encoding: .utf8) == "keep")
            var st = stat()
            #expect(stat(victim.path, &st) == 0 && st.st_uid == geteuid())
        }
        let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/throwaway-pg").path
        for command in ["stop", "start"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: script)
            process.arguments = [command]
            process.environment = ProcessInfo.processInfo.environment.merging(["SLUICE_PG_DIR": victim.path]) { _, new in new }
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 78)
            #expect(FileManager.default.fileExists(atPath: victim.appendingPathComponent("notes.txt").path))
        }
    }
}
