import Foundation
import Synchronization
import Testing
import SluiceFrame
@testable import SluicePostgres

@Suite("PostgreSQL faults leave the target unchanged")
struct FaultTests {
    /// A second connection's view of a table's row count.
    func count(_ table: TableName) async throws -> Int64 {
        let connection = try await SharedServer.connect()
        return try connection.read(query: "SELECT count(*) AS n FROM \(try table.quoted(connection))").int64s("n")[0]
    }

    /// A table holding ten rows (id bigint, v double precision).
    func tenRowTable(_ prefix: String, constraint: String = "") async throws -> TableName {
        let connection = try await SharedServer.connect()
        let table = uniqueTable(prefix)
        try connection.execute("CREATE TABLE \(try table.quoted(connection)) (id bigint, v double precision \(constraint))")
        try connection.execute("INSERT INTO \(try table.quoted(connection)) SELECT g, g FROM generate_series(1, 10) g")
        return table
    }

    func bigFrame(rows: Int, badRow: Int? = nil) throws -> Frame {
        var values = (0..<rows).map { Double($0) }
        if let badRow { values[badRow] = -1 }
        return try Frame(["id": .int64((0..<rows).map { Int64($0) }), "v": .double(values)])
    }

    /// Terminates, from `killer`, the first backend of `applicationName` whose query starts
    /// with `prefix`, polling without suspending (every 2 ms, for at most 60 s).
    func terminateNow(_ killer: PostgresConnection, applicationName: String, queryPrefix: String) throws -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let rows = try killer.rows("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE application_name = $1 AND state = 'active' AND query LIKE $2 AND pid <> pg_backend_pid()
                """, [.string(applicationName), .string(queryPrefix + "%")])
            if rows.first?.first == "t" { return true }
            usleep(2_000)
        }
        return false
    }

    @Test("the backend killed mid-read: a clear connection-lost error")
    func killedMidRead() async throws {
        let setup = try await SharedServer.connect()
        let table = uniqueTable("killread")
        try setup.execute("CREATE TABLE \(try table.quoted(setup)) AS SELECT g AS id, md5(g::text) AS s FROM generate_series(1, 400000) g")
        var configuration = try await SharedServer.configuration()
        configuration.applicationName = "sluice-kill-read-\(table.name)"
        let connection = try PostgresConnection(configuration)
        let reader = try connection.makeReader(table: table)
        #expect(try reader.next(maxRows: 1000)?.rowCount == 1000)
        let killer = try await SharedServer.connect()
        #expect(try killer.rows("SELECT pg_terminate_backend($1::int4)", [.int64(Int64(connection.backendPID))]).first?.first == "t")
        let error = #expect(throws: PostgresError.self) { while try reader.next(maxRows: 50_000) != nil {} }
        #expect(error?.kind == .connectionLost)
        #expect(error.map { $0.sqlState == "57P01" || $0.message.contains("closed") } == true, "\(String(describing: error))")
        #expect(!connection.isAlive)
    }

    @Test("the backend killed mid-COPY of a replace: the old rows stay")
    func killedMidWrite() async throws {
        let table = try await tenRowTable("killwrite")
        var configuration = try await SharedServer.configuration()
        configuration.applicationName = "sluice-kill-write-\(table.name)"
        let frame = try bigFrame(rows: 2_000_000)
        // The write and the killer each run on a thread of their own, never waiting for the
        // cooperative pool: under a full test run, other suites' CPU-bound tests hold both of
        // its threads and a Task would not start (nor a poll resume) before the COPY ends.
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        let connectionConfiguration = configuration
        Thread {
            let r = Result<Void, any Error> {
                let connection = try PostgresConnection(connectionConfiguration)
                defer { connection.close() }
                try connection.transaction { tx in _ = try tx.write(frame, to: table, mode: .replace, options: PostgresWriteOptions()) }
            }
            outcome.withLock { $0 = r }
        }.start()
        let killer = try await SharedServer.connect()
        #expect(try terminateNow(killer, applicationName: configuration.applicationName ?? "", queryPrefix: "COPY"))
        var result: Result<Void, any Error>?
        for _ in 0..<2400 where result == nil {
            result = outcome.withLock { $0 }
            if result == nil { usleep(50_000) }
        }
        guard case let .failure(error)? = result else {
            Issue.record("the write succeeded")
            return
        }
        #expect((error as? PostgresError)?.kind == .connectionLost, "\(error)")
        #expect(try await count(table) == 10)
    }

    @Test("the backend killed after the COPY, before COMMIT: nothing is published")
    func killedBeforeCommit() async throws {
        let table = try await tenRowTable("killcommit")
        let configuration = try await SharedServer.configuration()
        let sink = PostgresSink(configuration, table: table)
        let killerURL = configuration
        await #expect(throws: PostgresError.self) {
            try await sink.write(try bigFrame(rows: 1000), mode: .replace) { tx in
                let killer = try PostgresConnection(killerURL)
                _ = try killer.rows("SELECT pg_terminate_backend($1::int4)", [.int64(Int64(tx.backendPID))])
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        #expect(try await count(table) == 10)
    }

    @Test("a statement timeout: reads and writes fail with SQLSTATE 57014 and the table is unchanged")
    func statementTimeout() async throws {
        var configuration = try await SharedServer.configuration()
        configuration.statementTimeout = .milliseconds(200)
        let connection = try PostgresConnection(configuration)
        #expect(try connection.rows("SHOW statement_timeout").first?.first == "200ms")
        let readError = #expect(throws: PostgresError.self) { try connection.read(query: "SELECT 1 AS x FROM pg_sleep(3)") }
        #expect(readError?.kind == .timeout && readError?.sqlState == "57014")

        let table = try await tenRowTable("timeout")
        let setup = try await SharedServer.connect()
        let quoted = try table.quoted(setup)
        try setup.execute("CREATE FUNCTION \(try setup.quote("slow_\(table.name)"))() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$")
        try setup.execute("CREATE TRIGGER slow AFTER INSERT ON \(quoted) FOR EACH STATEMENT EXECUTE FUNCTION \(try setup.quote("slow_\(table.name)"))()")
        let writeError = #expect(throws: PostgresError.self) {
            try connection.write(try bigFrame(rows: 100), to: table, mode: .replace)
        }
        #expect(writeError?.kind == .timeout && writeError?.sqlState == "57014")
        #expect(try await count(table) == 10)
        // The connection is still usable after the rollback.
        #expect(try connection.rows("SELECT 1").first?.first == "1")
    }

    @Test("a constraint violation at row 500 000: the error names the row and constraint, the table is unchanged")
    func constraintViolation() async throws {
        let table = try await tenRowTable("violation", constraint: "CONSTRAINT v_not_negative CHECK (v >= 0)")
        let connection = try await SharedServer.connect()
        let error = #expect(throws: PostgresError.self) {
            try connection.write(try bigFrame(rows: 600_000, badRow: 500_000), to: table, mode: .append)
        }
        #expect(error?.kind == .badData)
        #expect(error?.sqlState == "23514")
        #expect(error?.row == 500_000)
        #expect(error?.constraint == "v_not_negative")
        #expect(error?.description.contains("row 500001") == true)   // printed 1-based
        #expect(try await count(table) == 10)
        #expect(!connection.inTransaction)
    }

    @Test("a refused value names its row and column from the COPY context")
    func badValueNamesRowAndColumn() async throws {
        let connection = try await SharedServer.connect()
        let table = uniqueTable("badvalue")
        try connection.execute("CREATE TABLE \(try table.quoted(connection)) (id bigint, label varchar(3) NOT NULL)")
        let frame = try Frame(["id": .int64([1, 2, 3]), "label": .string(["ok", "too long", "ok"])])
        let error = #expect(throws: PostgresError.self) { try connection.write(frame, to: table, mode: .append) }
        #expect(error?.kind == .badData && error?.row == 1 && error?.column == "label", "\(String(describing: error))")
        let nulls = try Frame(["id": .int64([1, 2]), "label": .string(["ok", nil])])
        let nullError = #expect(throws: PostgresError.self) { try connection.write(nulls, to: table, mode: .append) }
        #expect(nullError?.sqlState == "23502" && nullError?.row == 1 && nullError?.column == "label", "\(String(describing: nullError))")
        #expect(try await count(table) == 0)
    }

    @Test("the server stopped: connecting fails as unavailable, a live connection as lost; nothing half-written")
    func serverStopped() async throws {
        try await withTemporaryCluster { cluster in
            let server = try await cluster.start()
            let connection = try PostgresConnection(PostgresConfiguration(server.connectionURL))
            try connection.execute("CREATE TABLE t (id bigint)")
            try await cluster.stop()
            let lost = #expect(throws: PostgresError.self) {
                try connection.write(try Frame(["id": .int64([1])]), to: "t", mode: .append)
            }
            #expect(lost?.kind == .connectionLost)
            let started = ContinuousClock.now
            let unreachable = #expect(throws: PostgresError.self) { try PostgresConnection(PostgresConfiguration(server.connectionURL)) }
            #expect(unreachable?.kind == .unavailable)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("a wrong password: an authentication error that does not show the password")
    func wrongPassword() async throws {
        let server = try await SharedServer.server()
        let admin = try await SharedServer.connect()
        let role = "sluice_pw_\(UInt32.random(in: 0...UInt32.max))"
        try admin.execute("CREATE ROLE \(try admin.quote(role)) LOGIN PASSWORD 'right-horse-battery'")
        // Password (scram) authentication for this role over TCP, ahead of the trust lines.
        let hba = server.dataDirectory + "/pg_hba.conf"
        let existing = try String(contentsOfFile: hba, encoding: .utf8)
        let handle = try #require(FileHandle(forWritingAtPath: hba))
        try handle.write(contentsOf: Data(("host all \(role) 127.0.0.1/32 scram-sha-256\n" + existing).utf8))
        try handle.close()
        _ = try admin.rows("SELECT pg_reload_conf()")
        try await Task.sleep(for: .milliseconds(200))

        let wrong = "postgresql://\(role):wrong-secret-pw@127.0.0.1:\(server.port)/postgres"
        let error = #expect(throws: PostgresError.self) { try PostgresConnection(PostgresConfiguration(wrong)) }
        #expect(error?.kind == .authentication)
        #expect(error.map { !$0.description.contains("wrong-secret-pw") } == true)
        #expect(error?.description.contains("password authentication failed") == true, "\(String(describing: error))")
        let right = "host=127.0.0.1 port=\(server.port) dbname=postgres user=\(role) password='right-horse-battery'"
        #expect(try PostgresConnection(PostgresConfiguration(right)).rows("SELECT current_user").first?.first == role)
    }

    @Test("an unreachable server fails fast as unavailable")
    func unreachable() throws {
        let started = ContinuousClock.now
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection(PostgresConfiguration("postgresql://u:topsecret@127.0.0.1:1/db"))
        }
        #expect(error?.kind == .unavailable)
        #expect(error.map { !$0.description.contains("topsecret") && $0.description.contains("u:***@") } == true)
        #expect(ContinuousClock.now - started < .seconds(5))
        let bad = #expect(throws: PostgresError.self) { try PostgresConnection(PostgresConfiguration("host=x password='p w' bogus_option=1")) }
        #expect(bad?.kind == .configuration)
        #expect(bad.map { !$0.description.contains("p w") } == true)
    }
}

@Suite("Connection settings and redaction")
struct ConfigurationTests {
    @Test("the three password forms are redacted, quoted ones included", arguments: [
        ("postgresql://alice:s3cr%40t@db.example:5432/app", "postgresql://alice:***@db.example:5432/app"),
        ("postgres://alice:p@ss@db/app?sslmode=verify-full", "postgres://alice:***@db/app?sslmode=verify-full"),
        ("postgresql://db/app?user=a&password=s3cret&sslmode=require", "postgresql://db/app?user=a&password=***&sslmode=require"),
        ("postgresql://db/app?password=s3cret", "postgresql://db/app?password=***"),
        ("host=db password=s3cret user=a", "host=db password=*** user=a"),
        ("host=db password = 's3 cr\\'et' user=a", "host=db password=*** user=a"),
        ("PASSWORD='x y' host=db", "PASSWORD=*** host=db"),
        ("connect to postgresql://u@h/db failed", "connect to postgresql://u@h/db failed"),
        ("user=a passwordless=1", "user=a passwordless=1"),
    ])
    func redaction(input: String, expected: String) {
        #expect(Redaction.redact(input) == expected)
    }

    @Test("defaults come before the connection string, so it overrides them; statement_timeout is set unless options set it")
    func defaults() async throws {
        let configuration = PostgresConfiguration("host=h")
        let pairs = configuration.connectionParameters()
        let keys = pairs.map(\.0)
        #expect(keys.firstIndex(of: "connect_timeout")! < keys.firstIndex(of: "dbname")!)
        #expect(keys.firstIndex(of: "keepalives_idle")! < keys.firstIndex(of: "dbname")!)
        #expect(keys.last == "client_encoding")
        #expect(configuration.description == "host=h")

        let url = try await SharedServer.server().connectionURL
        let plain = try PostgresConnection(PostgresConfiguration(url))
        #expect(try plain.rows("SHOW statement_timeout").first?.first == "30min")
        #expect(try plain.rows("SHOW application_name").first?.first == "sluice")
        let overridden = try PostgresConnection(PostgresConfiguration(url + "?options=-c%20statement_timeout%3D5s&application_name=nightly"))
        #expect(try overridden.rows("SHOW statement_timeout").first?.first == "5s")
        #expect(try overridden.rows("SHOW application_name").first?.first == "nightly")
    }
}
