import Testing
import SluiceCompute
import SluiceCSV
import SluiceFrame

/// A seeded random frame of every type, with nulls, unicode, quotes, delimiters and newlines.
func randomFrame(rows: Int, seed: UInt64) throws -> Frame {
    var rng = SeededGenerator(seed: seed)
    let pieces = ["a", "b,c", "\"q\"", "line\nbreak", "crlf\r\n", "é", "日本語", "🚀", " lead", "trail ", "", "x\ty", "NA", "'"]
    func maybe<T>(_ v: T) -> T? { Int.random(in: 0..<6, using: &rng) == 0 ? nil : v }
    let doubles: [Double?] = (0..<rows).map { _ in
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: return nil
        case 1: return .nan
        case 2: return [.infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude][Int.random(in: 0..<5, using: &rng)]
        default: return Double(bitPattern: UInt64.random(in: 0..<0x7FF0_0000_0000_0000, using: &rng)) * (Bool.random(using: &rng) ? 1 : -1)
        }
    }
    let ints: [Int64?] = (0..<rows).map { _ in maybe(Int64.random(in: .min ... .max, using: &rng)) }
    let strs: [String?] = (0..<rows).map { _ in
        maybe((0..<Int.random(in: 1...3, using: &rng)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &rng)] }.joined())
    }
    let bools: [Bool?] = (0..<rows).map { _ in maybe(Bool.random(using: &rng)) }
    let dates: [Int32?] = (0..<rows).map { _ in maybe(Int32.random(in: -700_000...2_900_000, using: &rng)) }
    let stamps: [Int64?] = (0..<rows).map { _ in maybe(Int64.random(in: -30_000_000_000_000_000...200_000_000_000_000_000, using: &rng)) }
    return try Frame([
        "d": .double(doubles), "i": .int64(ints), "s": .string(strs),
        "b": .bool(bools), "date": .date(dates), "ts": .timestamp(stamps),
    ])
}

private func typesOf(_ f: Frame) -> [String: ColumnType] {
    Dictionary(uniqueKeysWithValues: f.schema.fields.map { ($0.name, $0.type) })
}

@Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
func writeThenReadGivesTheSameFrame(seed: UInt64) throws {
    let frame = try randomFrame(rows: 300, seed: seed)
    let bytes = CSVWriter().encode(frame)
    var o = CSVReadOptions()
    o.columnTypes = typesOf(frame)
    let back = try CSVReader(o).read(bytes: bytes)
    #expect(back == frame)
}

@Test func roundTripWithCRLFAndSemicolons() throws {
    let frame = try randomFrame(rows: 200, seed: 9)
    var w = CSVWriteOptions()
    w.delimiter = UInt8(ascii: ";")
    w.lineEnding = "\r\n"
    var o = CSVReadOptions()
    o.delimiter = UInt8(ascii: ";")
    o.columnTypes = typesOf(frame)
    #expect(try CSVReader(o).read(bytes: CSVWriter(w).encode(frame)) == frame)
}

@Test func inferredRoundTripKeepsTypes() throws {
    let frame = try Frame([
        "i": .int64([1, nil, -3]), "d": .double([0.1, 1e-5, nil]), "s": .string(["a", "", nil]),
        "b": .bool([true, nil, false]), "date": .date([0, 19782, nil]),
    ])
    let back = try CSVReader().read(bytes: CSVWriter().encode(frame))
    #expect(back.schema.fields.map(\.type) == [.int64, .double, .string, .bool, .date])
    #expect(back == frame)
}

@Test func writerQuotesOnlyWhatNeedsIt() throws {
    let f = try Frame(["a": .string(["plain", "x,y", "say \"hi\"", "", nil, " pad"]), "n": .double([0.1, 1e-5, .nan, 2, 3, .infinity])])
    let text = String(decoding: CSVWriter().encode(f), as: UTF8.self)
    #expect(text == "a,n\nplain,0.1\n\"x,y\",1e-05\n\"say \"\"hi\"\"\",nan\n\"\",2.0\n,3.0\n\" pad\",inf\n")
}

@Test func writerModesCreateReplaceAppend() throws {
    let path = try temporaryFile([], name: "out.csv")
    let f = try Frame(["a": .int64([1, 2])])
    #expect(throws: CSVError.self) { try CSVWriter().write(f, to: path, mode: .create) }
    try CSVWriter().write(f, to: path, mode: .replace)
    try CSVWriter().write(f, to: path, mode: .append)
    #expect(try CSVReader().read(path: path).int64s("a") == [1, 2, 1, 2])
}

@Test func parallelReadEqualsSerialRead() throws {
    // Over 1 MiB so the reader splits it; quoted newlines straddle the split points.
    let frame = try randomFrame(rows: 14_000, seed: 42)
    let bytes = CSVWriter().encode(frame)
    #expect(bytes.count > 1 << 20)
    var serial = CSVReadOptions()
    serial.threads = 1
    serial.columnTypes = typesOf(frame)
    var parallel = serial
    parallel.threads = 3
    let a = try CSVReader(serial).read(bytes: bytes)
    let b = try CSVReader(parallel).read(bytes: bytes)
    #expect(a == frame)
    #expect(b == frame)
}

@Test func parallelInferenceMatchesSerial() throws {
    var lines = ["id,x,code,when"]
    for i in 0..<60_000 { lines.append("\(i),\(i % 7 == 0 ? "\(i).5" : "\(i)"),c\(i % 13),2020-01-\(String(format: "%02d", i % 28 + 1))") }
    lines.append("60000,abc,007,2020-02-01T00:00:00Z")
    let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
    var o = CSVReadOptions()
    o.threads = 1
    let a = try CSVReader(o).read(bytes: bytes)
    o.threads = 2
    let b = try CSVReader(o).read(bytes: bytes)
    #expect(a == b)
    #expect(b.schema.fields.map(\.type) == [.int64, .string, .string, .timestamp])
    #expect(try strings(b, "x").last == "abc")
    #expect(try strings(b, "x")[7] == "7.5")
}

@Test func errorInALaterChunkNamesTheRightLine() throws {
    var lines = ["a,b"]
    for i in 0..<100_000 { lines.append("\(i),\"v\(i)\"") }
    lines[90_000] = "oops"
    let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
    let e = readError(bytes: bytes) { $0.threads = 2 }
    #expect(e?.kind == .raggedRow(expected: 2, actual: 1))
    #expect(e?.line == 90_001)
}

@Test func batchesConcatenateToTheWholeFile() async throws {
    let frame = try randomFrame(rows: 2_500, seed: 7)
    let path = try temporaryFile(CSVWriter().encode(frame))
    var o = CSVReadOptions()
    o.columnTypes = typesOf(frame)
    let source = CSVSource(path: path, options: o)
    var sizes: [Int] = []
    var parts: [Frame] = []
    for try await batch in try await source.batches(of: 1000) {
        sizes.append(batch.rowCount)
        parts.append(batch)
    }
    #expect(sizes == [1000, 1000, 500])
    #expect(try Frame.concatenating(parts) == frame)
    #expect(try await source.schema() == frame.schema)
}

@Test func batchesInferTypesOverTheWholeFile() async throws {
    var text = "x,y\n"
    for i in 0..<3000 { text += "\(i),\(i)\n" }
    text += "1.5,\n"
    let path = try temporaryFile(Array(text.utf8))
    let batches = try CSVReader().batches(path: path, rowsPerBatch: 1000)
    #expect(batches.schema.fields == [Field("x", .double, nullable: false), Field("y", .int64, nullable: true)])
    var rows = 0
    for try await b in batches {
        #expect(b.schema == batches.schema)
        rows += b.rowCount
    }
    #expect(rows == 3001)
}

@Test func batchErrorsCarryTheirPlace() async throws {
    let path = try temporaryFile(Array("a,b\n1,2\n3,4,5\n".utf8))
    await #expect(throws: CSVError(.raggedRow(expected: 2, actual: 3), file: path, line: 3, column: 3)) {
        for try await _ in try CSVReader().batches(path: path, rowsPerBatch: 10) {}
    }
}
