import Foundation
import Testing
import SluiceFrame
@testable import SluicePostgres

@Suite("PostgreSQL read and write")
struct ReadWriteTests {
    static let longText = String(repeating: "long ✓ text ", count: 100_000)

    @Test("every mapped type reads from COPY and from a parameterised cursor, with nulls, NaN, ±Infinity, unicode, empty and long text")
    func everyMappedType() async throws {
        let connection = try await SharedServer.connect()
        let table = uniqueTable("types")
        let name = try table.quoted(connection)
        try connection.execute("""
            CREATE TABLE \(name) (
              id int4, i2 int2, i8 int8, f4 real, f8 double precision, num numeric, flag boolean,
              t text, vc varchar(20), ch char(3), nm name, d date, ts timestamp, tz timestamptz, u uuid)
            """)
        try connection.execute("""
            INSERT INTO \(name) VALUES
              (1, -32768, 9223372036854775807, 1.5, 'NaN', 12345.678901234567890123, true, 'héllo 世界 🚀', '', 'ab', 'pg_name',
               '2024-02-29', '2024-02-29 12:34:56.123456', '1969-12-31 23:59:59.999999+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
              (2, 32767, -9223372036854775808, '-Infinity', 'Infinity', 'NaN', false, $1, 'x', 'abc', 'n',
               '1970-01-01', '2000-01-01 00:00:00', '2262-04-11 23:47:16.854775+00', '00000000-0000-0000-0000-000000000000'),
              (3, NULL, NULL, NULL, '-Infinity', -0.000001, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
              (4, 0, 0, 0, '-0', 1e20, true, '', 'z', 'a', '', '0001-01-01', '1900-01-01', '2024-06-01 00:00:00+02', 'ffffffff-ffff-ffff-ffff-ffffffffffff')
            """, [.string(Self.longText)])

        let viaCopy = try connection.read(table)
        let viaCursor = try connection.read(query: "SELECT * FROM \(name) WHERE id > $1 ORDER BY id", parameters: [.int64(0)],
                                            options: PostgresReadOptions(cursorFetchRows: 3))
        #expect(viaCopy == viaCursor)
        let f = viaCopy
        #expect(f.rowCount == 4)
        #expect(f.schema.fields.map(\.type) == [.int64, .int64, .int64, .double, .double, .double, .bool,
                                                  .string, .string, .string, .string, .date, .timestamp, .timestamp, .string])
        #expect(try f.int64s("i2") == [-32768, 32767, 0, 0])
        #expect(try f.int64s("i8") == [.max, .min, 0, 0])
        #expect(try f.validity("i8").isNull(2))
        let f4 = try f.doubles("f4"), f8 = try f.doubles("f8"), num = try f.doubles("num")
        #expect(f4[0] == 1.5 && f4[1] == -.infinity && f4[3] == 0)
        #expect(f8[0].isNaN && f8[1] == .infinity && f8[2] == -.infinity && f8[3] == 0 && f8[3].sign == .minus)
        #expect(try f.validity("f8").nullCount == 0)
        #expect(num[0] == 12345.678901234567890123 && num[1].isNaN && num[2] == -0.000001 && num[3] == 1e20)
        #expect(try f.bools("flag") == [true, false, false, true])
        #expect(try f.validity("flag").isNull(2))
        let t = try f.strings("t")
        #expect(t[0] == "héllo 世界 🚀" && t[1] == Self.longText && t[2] == nil && t[3] == "")
        #expect(try f.strings("vc")[1] == "x" && f.strings("vc")[0] == "")
        #expect(try f.strings("ch")[0] == "ab ")
        #expect(try f.strings("nm")[0] == "pg_name")
        #expect(try f.dates("d") == [19782, 0, 0, -719162])
        #expect(try f.validity("d").isNull(2))
        let ts = try f.timestamps("ts"), tz = try f.timestamps("tz")
        #expect(ts[0] == 1_709_210_096_123_456 && ts[1] == 946_684_800_000_000 && ts[3] == -2_208_988_800_000_000)
        #expect(tz == [-1, 9_223_372_036_854_775, 0, 1_717_192_800_000_000])
        let u = try f.strings("u")
        #expect(u[0] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" && u[1] == "00000000-0000-0000-0000-000000000000" && u[2] == nil)
    }

    @Test("a frame of every Sluice type round-trips through create, and the created types are the mapped ones")
    func frameRoundTrip() async throws {
        let connection = try await SharedServer.connect()
        let frame = try Frame([
            "id": .int64([1, 2, 3, 4, nil]),
            "x": .double([.nan, .infinity, -.infinity, nil, -0.0]),
            "s": .string(["", "ünïcødé ✓", nil, Self.longText, "tab\tand\nnewline"]),
            "b": .bool([true, false, nil, true, false]),
            "d": .date([0, -1, nil, 19782, Int32.max]),
            "ts": .timestamp([0, -1, 1_709_210_096_123_456, nil, Int64.min]),
        ])
        let table = uniqueTable("roundtrip")
        #expect(try connection.write(frame, to: table, mode: .create) == 5)
        let back = try connection.read(table)
        #expect(back == frame)
        let types = try connection.rows("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 ORDER BY attnum",
                                        [.string(try table.quoted(connection))]).map { $0[0] ?? "" }
        #expect(types == ["bigint", "double precision", "text", "boolean", "date", "timestamp with time zone"])
        // NaN and infinities are PostgreSQL's own, not text.
        let text = try connection.rows("SELECT x::text FROM \(try table.quoted(connection)) ORDER BY id NULLS LAST").map { $0[0] }
        #expect(text == ["NaN", "Infinity", "-Infinity", nil, "-0"])
    }

    @Test("create, append, replace and upsert; upsert twice gives the same table")
    func writeModes() async throws {
        let connection = try await SharedServer.connect()
        let table = uniqueTable("modes")
        let quoted = try table.quoted(connection)
        let first = try Frame(["k": .int64([1, 2, 3]), "v": .string(["a", "b", "c"])])
        #expect(try connection.write(first, to: table, mode: .create, options: PostgresWriteOptions(keys: ["k"])) == 3)
        let again = #expect(throws: PostgresError.self) { try connection.write(first, to: table, mode: .create) }
        #expect(again?.kind == .schema)

        #expect(try connection.write(try Frame(["k": .int64([4]), "v": .string(["d"])]), to: table, mode: .append) == 1)
        #expect(try connection.read(query: "SELECT count(*) AS n FROM \(quoted)").int64s("n") == [4])

        let replacement = try Frame(["k": .int64([10, 20]), "v": .string(["x", "y"])])
        #expect(try connection.write(replacement, to: table, mode: .replace) == 2)
        #expect(try connection.read(query: "SELECT * FROM \(quoted) ORDER BY k") == replacement)

        let upsert = try Frame(["k": .int64([20, 30]), "v": .string(["Y", "Z"])])
        for expected in [2, 0] {   // the rerun changes (and counts) nothing
            #expect(try connection.write(upsert, to: table, mode: .upsert, options: PostgresWriteOptions(keys: ["k"])) == expected)
            let now = try connection.read(query: "SELECT * FROM \(quoted) ORDER BY k")
            #expect(now == (try Frame(["k": .int64([10, 20, 30]), "v": .string(["x", "Y", "Z"])])))
        }
        // Upsert without keys, or into a missing table without createIfMissing, is refused.
        #expect(throws: PostgresError.self) { try connection.write(upsert, to: table, mode: .upsert) }
        let missing = #expect(throws: PostgresError.self) {
            try connection.write(upsert, to: uniqueTable("absent"), mode: .append, options: PostgresWriteOptions(createIfMissing: false))
        }
        #expect(missing?.kind == .schema)
    }

    @Test("upsert into a table of other column types goes through staging and the server's casts")
    func upsertWithCasts() async throws {
        let connection = try await SharedServer.connect()
        let table = uniqueTable("casts")
        let quoted = try table.quoted(connection)
        try connection.execute("CREATE TABLE \(quoted) (id integer PRIMARY KEY, score numeric(6,3), label varchar(10), extra text DEFAULT 'kept')")
        try connection.execute("INSERT INTO \(quoted) (id, score, label) VALUES (1, 0.5, 'old')")
        let frame = try Frame(["id": .int64([1, 2]), "score": .double([0.25, 0.125]), "label": .string(["new", nil])])
        #expect(try connection.write(frame, to: table, mode: .upsert, options: PostgresWriteOptions(keys: ["id"])) == 2)
        let back = try connection.read(query: "SELECT id, score, label, extra FROM \(quoted) ORDER BY id")
        #expect(try back.int64s("id") == [1, 2])
        #expect(try back.doubles("score") == [0.25, 0.125])
        #expect(try back.strings("label")[0] == "new" && back.strings("label")[1] == nil)
        #expect(try back.strings("extra")[0] == "kept")
        // Appending through the same casts.
        #expect(try connection.write(try Frame(["id": .int64([3]), "score": .double([1])]), to: table, mode: .append) == 1)
    }

    @Test("batches stream a table in frames of at most N rows that add up to the whole")
    func batches() async throws {
        let connection = try await SharedServer.connect()
        let table = uniqueTable("stream")
        let quoted = try table.quoted(connection)
        try connection.execute("CREATE TABLE \(quoted) AS SELECT g AS id, g::text AS s, g * 0.5 AS x FROM generate_series(1, 25000) g")
        let source = PostgresSource(try await SharedServer.configuration(), table: table)
        var sizes: [Int] = []
        var frames: [Frame] = []
        for try await batch in try await source.batches(of: 10_000) {
            sizes.append(batch.rowCount)
            frames.append(batch)
        }
        #expect(sizes == [10_000, 10_000, 5_000])
        let whole = try await source.readAll()
        #expect(try Frame.concatenating(frames) == whole)
        #expect(whole.rowCount == 25_000)
        // The cursor path streams too.
        let query = PostgresSource(try await SharedServer.configuration(), query: "SELECT * FROM \(quoted) WHERE id <= $1 ORDER BY id",
                                   parameters: [.int64(12_345)], options: PostgresReadOptions(cursorFetchRows: 1000))
        var cursorSizes: [Int] = []
        for try await batch in try await query.batches(of: 5_000) { cursorSizes.append(batch.rowCount) }
        #expect(cursorSizes == [5_000, 5_000, 2_345])
    }

    @Test("schema discovery reads no rows; an unmapped type names its column unless the text fallback is on")
    func schemaDiscovery() async throws {
        let connection = try await SharedServer.connect()
        let table = uniqueTable("schema")
        let quoted = try table.quoted(connection)
        try connection.execute("CREATE TABLE \(quoted) (id bigint NOT NULL, doc jsonb, at timestamptz)")
        try connection.execute("INSERT INTO \(quoted) VALUES (1, '{\"a\": 1}', now())")
        let error = #expect(throws: PostgresError.self) { try connection.schema(of: table) }
        #expect(error?.column == "doc")
        #expect(error?.message.contains("jsonb") == true)
        let fallback = PostgresReadOptions(textFallback: true)
        let schema = try connection.schema(of: table, options: fallback)
        #expect(schema.fields == [Field("id", .int64, nullable: false), Field("doc", .string), Field("at", .timestamp)])
        // A query that would fail if it ran: describing it does not run it.
        let querySchema = try connection.schema(ofQuery: "SELECT id, 1 / 0 AS boom FROM \(quoted) WHERE id = $1", parameters: [.int64(1)])
        #expect(querySchema.names == ["id", "boom"])
        let frame = try connection.read(table, options: fallback)
        #expect(try frame.strings("doc")[0] == "{\"a\": 1}")
        let viaQuery = try connection.read(query: "SELECT doc FROM \(quoted) WHERE id = $1", parameters: [.int64(1)], options: fallback)
        #expect(try viaQuery.strings("doc")[0] == "{\"a\": 1}")
    }

    @Test("parameters are bound, never pasted into the SQL")
    func parametersAreBound() async throws {
        let connection = try await SharedServer.connect()
        let table = uniqueTable("params")
        let quoted = try table.quoted(connection)
        try connection.execute("CREATE TABLE \(quoted) (s text)")
        try connection.execute("INSERT INTO \(quoted) VALUES ($1)", [.string("it's'); DROP TABLE x; --")])
        let frame = try connection.read(query: "SELECT s FROM \(quoted) WHERE s = $1", parameters: [.string("it's'); DROP TABLE x; --")])
        #expect(try frame.strings("s")[0] == "it's'); DROP TABLE x; --")
        let none = try connection.read(query: "SELECT s FROM \(quoted) WHERE s = $1", parameters: [.string("' OR '1'='1")])
        #expect(none.rowCount == 0)
    }

    @Test("identifier injection: the table is created under exactly that name and v survives; long names are refused before DDL")
    func identifierInjection() async throws {
        let connection = try await SharedServer.connect()
        try connection.execute("CREATE TABLE IF NOT EXISTS v (x int)")
        let evil = TableName("p\"; DROP TABLE v;--")
        let frame = try Frame(["a\"; DROP TABLE v;--": .int64([1])])
        try connection.write(frame, to: evil, mode: .create)
        let names = try connection.rows("SELECT relname::text FROM pg_class WHERE relname IN ('v', $1) ORDER BY relname", [.string(evil.name)])
        #expect(names.map { $0[0] } == [evil.name, "v"])
        #expect(try connection.read(evil) == frame)
        #expect(try connection.write(frame, to: evil, mode: .append) == 1)

        let long = TableName(String(repeating: "é", count: 32))  // 64 bytes
        let error = #expect(throws: PostgresError.self) { try connection.write(frame, to: long, mode: .create) }
        #expect(error?.kind == .invalidIdentifier)
        let prefix = String(repeating: "c", count: 63)
        let colliding = try Frame([prefix + "1": .int64([1]), prefix + "2": .int64([2])])
        let collision = #expect(throws: PostgresError.self) { try connection.write(colliding, to: uniqueTable("collide"), mode: .create) }
        #expect(collision?.kind == .invalidIdentifier)
        let created = try connection.rows("SELECT count(*) FROM pg_class WHERE relname LIKE 'collide_%' OR relname LIKE 'éé%'")
        #expect(created.first?.first == "0")
    }

    @Test("a caller's statements commit with the write, and roll back with it")
    func callerStatementsShareTheTransaction() async throws {
        let configuration = try await SharedServer.configuration()
        let connection = try PostgresConnection(configuration)
        let ledger = uniqueTable("ledger"), predictions = uniqueTable("predictions")
        let ledgerName = try ledger.quoted(connection)
        try connection.execute("CREATE TABLE \(ledgerName) (run text PRIMARY KEY)")
        let frame = try Frame(["id": .int64([1, 2]), "p": .double([0.1, 0.9])])
        let sink = PostgresSink(configuration, table: predictions, options: PostgresWriteOptions(keys: ["id"]))
        try await sink.write(frame, mode: .upsert) { tx in
            try tx.execute("INSERT INTO \(ledgerName) VALUES ($1)", [.string("run-1")])
        }
        #expect(try connection.read(ledger).rowCount == 1)
        #expect(try connection.read(predictions).rowCount == 2)

        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await sink.write(try Frame(["id": .int64([3]), "p": .double([0.5])]), mode: .upsert) { tx in
                try tx.execute("INSERT INTO \(ledgerName) VALUES ($1)", [.string("run-2")])
                throw Refused()
            }
        }
        #expect(try connection.read(ledger).rowCount == 1)
        #expect(try connection.read(predictions).rowCount == 2)

        // On one connection: a write and the caller's statement in one transaction; no nesting.
        try connection.transaction { tx in
            try tx.write(try Frame(["id": .int64([4]), "p": .double([0.4])]), to: predictions, mode: .upsert,
                         options: PostgresWriteOptions(keys: ["id"]))
            try tx.execute("INSERT INTO \(ledgerName) VALUES ($1)", [.string("run-3")])
            #expect(throws: PostgresError.self) { try tx.transaction { _ in } }
        }
        #expect(try connection.read(ledger).rowCount == 2)
        #expect(try connection.read(predictions).rowCount == 3)
    }
}
