import Foundation
import Testing
import SluiceFrame
import SluiceTestSupport
@testable import SluicePostgres

/// Issue 9, the PostgreSQL half: secrets, silent conversions, exit classes, limits and races,
/// the cluster marker.
@Suite("PostgreSQL hardening (issue 9)")
struct HardeningTests {
    func count(_ table: TableName) async throws -> Int64 {
        let connection = try await SharedServer.connect()
        return try connection.read(query: "SELECT count(*) AS n FROM \(try table.quoted(connection))").int64s("n")[0]
    }

    // MARK: 1. Secrets

    @Test("a connection string's secret never appears in an error, parsed or not", arguments: HostileInputs.connectionStrings + [
        "host=127.0.0.1 port=1 password='SEK RET'",
    ])
    func secretsNeverShown(url: String) {
        let configuration = PostgresConfiguration(url)
        let error = #expect(throws: PostgresError.self) { try PostgresConnection(configuration) }
        let text = "\(configuration) \(String(describing: error))"
        for piece in ["SEKRET", "SEK RET", "SEK#RET", "SEK?RET", "SEK\nRET", "RET@"] {
            #expect(!text.contains(piece), "\(piece) in: \(text)")
        }
        #expect(error?.exitStatus == .configuration || error?.exitStatus == .unavailable, "\(String(describing: error))")
    }

    // MARK: 2. No value silently changed

    @Test("a frame into an existing table: only lossless conversions; the first changing row is named, nothing written")
    func losslessOrRefused() async throws {
        let connection = try await SharedServer.connect()
        let table = uniqueTable("lossless")
        let q = try table.quoted(connection)
        try connection.execute("CREATE TABLE \(q) (id bigint, i integer, d date, f real, n numeric(6,2), flag boolean, at timestamptz, doc jsonb)")
        try connection.execute("INSERT INTO \(q) (id) VALUES (0)")
        func refused(_ frame: Frame, mode: WriteMode = .append) -> PostgresError? {
            #expect(throws: PostgresError.self) { try connection.write(frame, to: table, mode: mode, options: PostgresWriteOptions(keys: ["id"])) }
        }
        for mode in [WriteMode.append, .replace] {
            let fraction = refused(try Frame(["id": .double([2.5, 3.7, -0.5])]), mode: mode)
            #expect(fraction?.column == "id" && fraction?.row == 0 && fraction?.exitStatus == .dataError, "\(String(describing: fraction))")
            #expect(fraction?.description.split(separator: "\n").first?.contains("bigint") == true)
        }
        let late = refused(try Frame(["id": .int64([1, 2]), "i": .double([1, 2.5])]))
        #expect(late?.row == 1 && late?.column == "i")
        #expect(refused(try Frame(["id": .int64([1]), "i": .int64([3_000_000_000])]))?.column == "i")
        let day: Int64 = 19_000 * 86_400_000_000
        #expect(refused(try Frame(["id": .int64([1, 2]), "d": .timestamp([day, day + 3_600_000_000])]))?.row == 1)
        #expect(refused(try Frame(["id": .int64([1]), "f": .double([0.1])]))?.column == "f")
        #expect(refused(try Frame(["id": .int64([1]), "n": .double([1.005])]))?.column == "n")
        for column in ["flag", "at", "doc"] {   // bigint into boolean, timestamptz, jsonb: no meaning
            let error = refused(try Frame(named: [("id", .int64([1])), (column, .int64([1]))]))
            #expect(error?.sqlState == "42804" && error?.exitStatus == .dataError, "\(String(describing: error))")
        }
        #expect(try await count(table) == 1)

        // What survives is written exactly.
        try connection.write(try Frame(["id": .double([7]), "i": .double([-3]), "d": .timestamp([day]), "f": .double([0.5]),
                                        "n": .double([1.25]), "doc": .string(["{\"a\": 1.50}"])]), to: table, mode: .append)
        let row = try connection.rows("SELECT id, i, d, f, n, doc::text FROM \(q) WHERE id = 7").first
        #expect(row == ["7", "-3", "2022-01-08", "0.5", "1.25", "{\"a\": 1.50}"])
    }

    @Test("an upsert whose input repeats a key is refused before anything is sent, naming the key and both rows")
    func repeatedUpsertKey() async throws {
        let connection = try await SharedServer.connect()
        let table = uniqueTable("repeat")
        try connection.write(try Frame(["id": .int64([1]), "v": .double([1])]), to: table, mode: .create,
                             options: PostgresWriteOptions(keys: ["id"]))
        let frame = try Frame(["id": .int64([5, 6, 5]), "v": .double([1, 2, 3])])
        let error = #expect(throws: PostgresError.self) {
            try connection.write(frame, to: table, mode: .upsert, options: PostgresWriteOptions(keys: ["id"]))
        }
        #expect(error?.firstRow == 0 && error?.row == 2 && error?.exitStatus == .dataError)
        #expect(error?.description.contains("(id) = (5)") == true && error?.description.contains("rows 1 and 3") == true)
        #expect(try await count(table) == 1)
    }

    // MARK: 3. Exit classes

    @Test("SQLSTATE classes map to the exit classes of DESIGN.md", arguments: [
        ("42601", SluiceFrame.ExitStatus.dataError), ("42P01", .dataError), ("42883", .dataError), ("3F000", .dataError),
        ("42804", .dataError), ("22P02", .dataError), ("23505", .dataError), ("21000", .dataError),
        ("54000", .dataError), ("54011", .dataError), ("25006", .dataError), ("42501", .noPermission),
        ("55P03", .temporaryFailure), ("57014", .temporaryFailure), ("40P01", .temporaryFailure),
        ("08006", .unavailable), ("28P01", .configuration), ("XX000", .software),
    ])
    func sqlStateClasses(state: String, status: SluiceFrame.ExitStatus) {
        #expect(PostgresError(PostgresError.kind(forSQLState: state), operation: "x", message: "y").exitStatus == status)
    }

    @Test("server errors of user input are not internal errors: syntax, missing schema, privilege, lock timeout, program limit")
    func serverErrorsClassified() async throws {
        let connection = try await SharedServer.connect()
        let syntax = #expect(throws: PostgresError.self) { try connection.read(query: "selec 1") }
        #expect(syntax?.exitStatus == .dataError && syntax?.sqlState == "42601")
        let empty = #expect(throws: PostgresError.self) { try connection.read(query: "  ") }
        #expect(empty?.kind == .invalidStatement)
        let schema = #expect(throws: PostgresError.self) {
            try connection.write(try Frame(["a": .int64([1])]), to: TableName("t", schema: "no_such_schema"), mode: .create)
        }
        #expect(schema?.sqlState == "3F000" && schema?.exitStatus == .dataError)

        // 54000: an index row too large.
        let big = uniqueTable("limit")
        try connection.execute("CREATE TABLE \(try big.quoted(connection)) (s text PRIMARY KEY)")
        let limit = #expect(throws: PostgresError.self) {
            try connection.write(try Frame(["s": .string([(0..<3000).map { _ in String(UInt8.random(in: 65...90), radix: 36) }.joined()])]),
                                 to: big, mode: .append)
        }
        #expect(limit?.sqlState?.hasPrefix("54") == true && limit?.exitStatus == .dataError, "\(String(describing: limit))")

        // 55P03: another session holds the table.
        let locked = uniqueTable("locked")
        try connection.execute("CREATE TABLE \(try locked.quoted(connection)) (a bigint)")
        let holder = try await SharedServer.connect()
        try holder.execute("BEGIN")
        try holder.execute("LOCK TABLE \(try locked.quoted(holder)) IN ACCESS EXCLUSIVE MODE")
        let waiter = try PostgresConnection(PostgresConfiguration(try await SharedServer.server().connectionURL + "?options=-c%20lock_timeout%3D200"))
        let timeout = #expect(throws: PostgresError.self) { try waiter.write(try Frame(["a": .int64([1])]), to: locked, mode: .append) }
        #expect(timeout?.sqlState == "55P03" && timeout?.exitStatus == .temporaryFailure, "\(String(describing: timeout))")
        try holder.execute("ROLLBACK")
    }

    @Test("a failed write's first line names the table, the column and the reason; the SQL is in the detail")
    func firstLineOfAFailedWrite() async throws {
        let connection = try await SharedServer.connect()
        let table = uniqueTable("firstline")
        try connection.execute("CREATE TABLE \(try table.quoted(connection)) (id bigint, label varchar(3))")
        let error = #expect(throws: PostgresError.self) {
            try connection.write(try Frame(["id": .int64([1, 2]), "label": .string(["ok", "too long"])]), to: table, mode: .append)
        }
        let lines = error?.description.split(separator: "\n") ?? []
        #expect(lines.first?.hasPrefix("write append to \(table), column label: value too long") == true, "\(lines)")
        #expect(lines.contains { $0.contains("row 2") })
        #expect(lines.contains { $0.hasPrefix("  sql: COPY ") })
    }

    // MARK: 4. Limits, races, privileges, read-only

    @Test("2000 columns are refused with the count before any DDL")
    func tooManyColumns() async throws {
        let connection = try await SharedServer.connect()
        let table = uniqueTable("wide")
        let frame = try Frame(named: (0..<2000).map { ("c\($0)", Column.int64([1])) })
        let error = #expect(throws: PostgresError.self) { try connection.write(frame, to: table, mode: .create) }
        #expect(error?.message.contains("2000 columns") == true && error?.exitStatus == .dataError)
        #expect(try connection.existingColumns(of: table) == nil)
    }

    @Test("two concurrent creates of one new table: the loser reports 42P07, as a sequential create does")
    func concurrentCreates() async throws {
        let configuration = try await SharedServer.configuration()
        let frame = try Frame(["id": .int64((0..<200_000).map(Int64.init)), "v": .double((0..<200_000).map(Double.init))])
        for _ in 0..<3 {
            let table = uniqueTable("race")
            let results = await withTaskGroup(of: PostgresError?.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        do {
                            try await PostgresSink(configuration, table: table).write(frame, mode: .create)
                            return nil
                        } catch let error as PostgresError { return error } catch { return PostgresError(.server, operation: "?", message: "\(error)") }
                    }
                }
                var all: [PostgresError?] = []
                for await r in group { all.append(r) }
                return all
            }
            let failures = results.compactMap { $0 }
            #expect(failures.count == 1)
            #expect(failures.first?.sqlState == "42P07" && failures.first?.exitStatus == .dataError, "\(failures)")
            #expect(try await count(table) == 200_000)
        }
    }

    @Test("upsert works with INSERT, UPDATE and SELECT on the key only; a missing grant is named (77)")
    func upsertLeastPrivilege() async throws {
        let admin = try await SharedServer.connect()
        let table = uniqueTable("grants")
        let q = try table.quoted(admin)
        let role = "writer_\(UInt32.random(in: 0...UInt32.max))"
        try admin.execute("CREATE TABLE \(q) (id bigint PRIMARY KEY, v double precision)")
        try admin.execute("INSERT INTO \(q) VALUES (1, 1)")
        try admin.execute("CREATE ROLE \(role) LOGIN")
        try admin.execute("GRANT INSERT, UPDATE, SELECT (id) ON \(q) TO \(role)")
        let port = try await SharedServer.server().port
        let writer = try PostgresConnection(PostgresConfiguration("postgresql://\(role)@127.0.0.1:\(port)/postgres"))
        let frame = try Frame(["id": .int64([1, 2]), "v": .double([10, 20])])
        #expect(try writer.write(frame, to: table, mode: .upsert, options: PostgresWriteOptions(keys: ["id"])) == 2)
        #expect(try admin.rows("SELECT v FROM \(q) ORDER BY id") == [["10"], ["20"]])

        try admin.execute("REVOKE UPDATE ON \(q) FROM \(role)")
        let error = #expect(throws: PostgresError.self) {
            try writer.write(frame, to: table, mode: .upsert, options: PostgresWriteOptions(keys: ["id"]))
        }
        #expect(error?.kind == .privilege && error?.exitStatus == .noPermission && error?.message.contains("UPDATE") == true,
                "\(String(describing: error))")
        let replace = #expect(throws: PostgresError.self) { try writer.write(frame, to: table, mode: .replace) }
        #expect(replace?.message.contains("TRUNCATE") == true && replace?.exitStatus == .noPermission)
        let create = #expect(throws: PostgresError.self) { try writer.write(frame, to: uniqueTable("nocreate"), mode: .create) }
        #expect(create?.sqlState == "42501" && create?.exitStatus == .noPermission, "\(String(describing: create))")
        #expect(try admin.rows("SELECT count(*) FROM \(q)") == [["2"]])
    }

    @Test("a source reads read-only: INSERT … RETURNING fails (65) and commits nothing")
    func sourcesAreReadOnly() async throws {
        let admin = try await SharedServer.connect()
        let table = uniqueTable("readonly")
        let q = try table.quoted(admin)
        try admin.execute("CREATE TABLE \(q) (a bigint)")
        let source = PostgresSource(try await SharedServer.configuration(), query: "INSERT INTO \(q) VALUES (1) RETURNING *")
        await #expect(throws: PostgresError.self) { _ = try await source.readAll() }
        do { _ = try await source.readAll() } catch let error as PostgresError {
            #expect(error.sqlState == "25006" && error.exitStatus == .dataError)
        }
        #expect(try await count(table) == 0)
    }

    // MARK: 5. The cluster marker

    @Test("stop and start refuse a directory that is not a cluster, and leave it intact")
    func clusterMarker() async throws {
        let parent = try Fixtures.temporaryDirectory("notacluster")
        defer { try? FileManager.default.removeItem(at: parent) }
        let victim = parent.appendingPathComponent("precious", isDirectory: true)
        try FileManager.default.createDirectory(at: victim.appendingPathComponent("data"), withIntermediateDirectories: true)
        try "keep".write(to: victim.appendingPathComponent("data/PG_VERSION"), atomically: true, encoding: .utf8)
        let cluster = ThrowawayCluster(directory: victim)
        await #expect(throws: ThrowawayClusterError.notACluster(path: cluster.directoryPath)) { try await cluster.stop() }
        await #expect(throws: ThrowawayClusterError.notACluster(path: cluster.directoryPath)) { _ = try await cluster.start() }
        #expect(try String(contentsOf: victim.appendingPathComponent("data/PG_VERSION"), encoding: .utf8) == "keep")
        #expect(!FileManager.default.fileExists(atPath: cluster.lockFile.path))
        var st = stat()
        #expect(stat(victim.path, &st) == 0 && st.st_uid == geteuid())
        #expect(ThrowawayClusterError.notACluster(path: "x").exitStatus == .configuration)
    }
}
