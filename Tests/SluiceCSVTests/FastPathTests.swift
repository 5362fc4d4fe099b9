import Testing
import SluiceCompute
@testable import SluiceCSV
import SluiceFrame

/// The reader's own splitting of quote-free records (`CSVDriver.parseFast`) must give exactly
/// what libcsv gives: the same frame, or the same error at the same place.
private func outcome(_ bytes: [UInt8], fast: Bool, _ configure: (inout CSVReadOptions) -> Void = { _ in }) -> String {
    var o = CSVReadOptions()
    configure(&o)
    var reader = CSVReader(o)
    reader.useFastPath = fast
    do {
        let frame = try reader.read(bytes: bytes, name: "t.csv")
        var s = "\(frame.schema.fields.map { "\($0.name):\($0.type):\($0.nullable)" })"
        for c in frame.columns { s += "|" + c.values.map { "\($0)" }.joined(separator: ",") }
        return s
    } catch {
        return "error: \(error)"
    }
}

private func expectSame(_ text: String, _ configure: (inout CSVReadOptions) -> Void = { _ in },
                        sourceLocation: SourceLocation = #_sourceLocation) {
    let bytes = Array(text.utf8)
    #expect(outcome(bytes, fast: true, configure) == outcome(bytes, fast: false, configure),
            "\(text.debugDescription)", sourceLocation: sourceLocation)
}

@Test func fastPathMatchesLibcsvOnEdgeCases() {
    let cases = [
        "a,b\n1,2\n", "a,b\n1,2", "a,b\n1,\n", "a,b\n1,", "a,b\n,\n", "a,b\n,", "a,b\r\n1,2\r\n3,4",
        "a,b\r1,2\r3,4\r", "a,b\n\n1,2\n\n\n3,4\n\n", "a,b\n1,2\r\n\r\n3,4", "a,b\n1, 2\n", "a,b\n 1,2 \n",
        "a,b\n\"1\",2\n", "a,b\n1,\"2\"\n3,4\n", "a,b\n1,\"x\ny\"\n3,4", "a,b\n1,\"x\r\ny\"\r\n3,4\r\n",
        "a,b\n1,\"x\"\"y\"\n", "a,b\n1,x\"y\n", "a,b\n1,\"x\"y\n", "a,b\n1,\"open\n2,3\n", "a,b\n1,\"open",
        "a,b\n1,\"\"\n", "a,b\n\"\",\"\"\n", "a,b\n1,2,3\n", "a,b\n1\n", "a,b\n1,2\n3\n", "a,b\n\"1\n",
        "a,b\n1,2\n\"3\",\"4\"", "a,b\n1,2\n\"3\",\"4\"\n5,6", "a,b\nx\u{0}y,2\n", "a,b\n1,2\n3,\"\"",
        "a,b\n1,37°36'37.8\"N 121°2'17.9\"W\n2,x\n", "a,b\n1,x\"\"y\"\n", "a,b\nx\",\"y\"\n", "a,b\n1,\"ab\"c\n",
        "a\n1\n2\n\n", "a\n\n", "a\n,\n", "a,b\n1,\"a,b\"\n2,\"c\"\n", "a,b\n\"1\",\"2\"\r\n", "a,b\n1,\"2\" \n",
    ]
    for text in cases {
        expectSame(text)
        expectSame(text) { $0.quoting = .lenient }
        expectSame(text) { $0.quoting = .strict }
        expectSame(text) { $0.hasHeader = false }
        expectSame(text) { $0.maxFieldBytes = 2 }
        expectSame(text) { $0.nullTokens = ["1"] }
        expectSame(text.replacingOccurrences(of: ",", with: "\t")) { $0.delimiter = UInt8(ascii: "\t") }
        expectSame(text.replacingOccurrences(of: "\"", with: "'")) { $0.quote = UInt8(ascii: "'") }
        // Delimiters above '0' take the four-byte test instead of the "below a bound" one.
        expectSame(text.replacingOccurrences(of: ",", with: ";")) { $0.delimiter = UInt8(ascii: ";") }
        expectSame(text.replacingOccurrences(of: ",", with: "|")) { $0.delimiter = UInt8(ascii: "|") }
    }
}

@Test(arguments: 0..<8)
func fastPathMatchesLibcsvOnRandomText(seed: Int) {
    var rng = SeededGenerator(seed: UInt64(seed) &+ 100)
    let alphabet: [UInt8] = Array("aZ019.-+e, ,,,\"\n\r\t".utf8) + [0xC3, 0xA9, 0xFF]
    for _ in 0..<300 {
        var bytes = Array("a,b,c\n".utf8)
        for _ in 0..<Int.random(in: 0..<60, using: &rng) {
            bytes.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)])
        }
        let fast = outcome(bytes, fast: true), slow = outcome(bytes, fast: false)
        #expect(fast == slow, "\(bytes)")
        let semicolons = bytes.map { $0 == UInt8(ascii: ",") ? UInt8(ascii: ";") : $0 }
        #expect(outcome(semicolons, fast: true) { $0.delimiter = UInt8(ascii: ";") }
                == outcome(semicolons, fast: false) { $0.delimiter = UInt8(ascii: ";") }, "\(semicolons)")
        #expect(outcome(bytes, fast: true) { $0.quoting = .strict } == outcome(bytes, fast: false) { $0.quoting = .strict },
                "\(bytes)")
        let fastLenient = outcome(bytes, fast: true) { $0.quoting = .lenient }
        let slowLenient = outcome(bytes, fast: false) { $0.quoting = .lenient }
        #expect(fastLenient == slowLenient, "\(bytes)")
    }
}

/// Chunks split at record boundaries found by quote parity; quoted newlines and doubled
/// quotes all over a file of several MiB must read the same on one core through libcsv and
/// on several cores through the fast path.
@Test func fastPathAndChunksMatchLibcsvOnQuotedNewlines() throws {
    var rng = SeededGenerator(seed: 42)
    let texts = ["\"a\nb\"", "\"x,y\"", "\"q\"\"q\"", "\"\"", "plain", "\"\r\n\"", "12", "-3.5", ""]
    var lines = ["id,s,t,v"]
    for i in 0..<120_000 {
        let s = texts[Int.random(in: 0..<texts.count, using: &rng)], t = texts[Int.random(in: 0..<texts.count, using: &rng)]
        lines.append("\(i),\(s),\(t),\(Double(i) / 8)")
    }
    let bytes = Array((lines.joined(separator: "\r\n") + "\n").utf8)
    #expect(bytes.count > 2 << 20)
    let slow = outcome(bytes, fast: false) { $0.threads = 1 }
    #expect(!slow.hasPrefix("error"))
    for threads in [1, 2, 3] {
        #expect(outcome(bytes, fast: true) { $0.threads = threads } == slow)
    }
}

/// A split point inside a long quoted field: the speculative split guesses a line end in
/// the field, the parts' quote counts show it, and the read falls back to counting quotes.
@Test func splitPointInsideAQuotedFieldFallsBackToCountingQuotes() throws {
    var lines = ["id,note,v"]
    for i in 0..<20_000 { lines.append("\(i),plain,\(i)") }
    lines.append("20000,\"" + String(repeating: "line, with \"\"quotes\"\"\n", count: 80_000) + "\",1")
    for i in 20_001..<40_000 { lines.append("\(i),\"q\",\(i)") }
    let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
    let slow = outcome(bytes, fast: false) { $0.threads = 1 }
    #expect(!slow.hasPrefix("error"))
    for threads in [2, 3, 4] {
        #expect(outcome(bytes, fast: true) { $0.threads = threads } == slow)
    }
    // The same file cut short inside the field: an unterminated quote, named at its line.
    let cut = Array(bytes[..<(bytes.count * 2 / 3)])
    for threads in [1, 2, 3] {
        #expect(outcome(cut, fast: true) { $0.threads = threads } == outcome(cut, fast: false) { $0.threads = 1 })
    }
}

@Test func countingBytesEightAtATime() {
    var rng = SeededGenerator(seed: 5)
    for n in [0, 1, 7, 8, 9, 63, 64, 65, 1000] {
        let alphabet: [UInt8] = [0x22, 0x00, 0x80, 0xA2, 0xA2, 0xFF, 0x21, 0x23]
        var bytes: [UInt8] = []
        for _ in 0..<n { bytes.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]) }
        let expected = bytes.filter { $0 == 0x22 }.count
        let counted = bytes.withUnsafeBufferPointer { b in b.baseAddress.map { CSVReader.count(0x22, $0, n) } ?? 0 }
        #expect(counted == expected)
    }
}

/// Reading a mapped file hands the pages already parsed back to the kernel; the frame, a
/// second pass (a late promotion to text) and an error's place, which read those pages
/// again, must all be as from memory.
@Test func mappedFileReadsTheSameAfterItsPagesAreReleased() throws {
    var lines = ["id,x,s,d"]
    for i in 0..<300_000 { lines.append("\(i),\(Double(i) / 4),c\(i % 17),2021-03-\(String(format: "%02d", i % 28 + 1))") }
    var text = lines.joined(separator: "\n") + "\n"
    #expect(text.utf8.count > 8 << 20)
    for threads in [1, 2] {
        var o = CSVReadOptions()
        o.threads = threads
        let path = try temporaryFile(Array(text.utf8), name: "mapped.csv")
        #expect(try CSVReader(o).read(path: path) == CSVReader(o).read(text: text))
    }
    // x becomes text on the last row: the whole file is parsed again.
    text += "300000,late,c1,2021-03-01\n"
    var o = CSVReadOptions()
    o.threads = 2
    let promoted = try temporaryFile(Array(text.utf8), name: "promoted.csv")
    let frame = try CSVReader(o).read(path: promoted)
    #expect(frame == (try CSVReader(o).read(text: text)))
    #expect(frame.schema.fields.map(\.type) == [.int64, .string, .string, .date])
    // A ragged last row: its line is found by reading the file again from the start.
    text += "1,2\n"
    let ragged = try temporaryFile(Array(text.utf8), name: "ragged.csv")
    do {
        _ = try CSVReader(o).read(path: ragged)
        Issue.record("expected an error")
    } catch {
        #expect(error.kind == .raggedRow(expected: 4, actual: 2))
        #expect(error.line == 300_003)
    }
}
