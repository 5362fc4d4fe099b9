import Foundation
import Glibc
import Testing
@testable import SluiceCSV
import SluiceFrame
import SluiceTestSupport

/// Issue 9: traps, unbounded resources, silently changed numbers and quotes in the reader.
@Suite("The CSV reader survives hostile input")
struct HardeningTests {
    // MARK: Quotes

    @Test("a quote inside an unquoted field is a literal character by default, on both paths")
    func literalQuoteByDefault() throws {
        let text = "id,position,city\n2095257564,37°36'37.8\"N 121°2'17.9\"W,Modesto\n"
        for fast in [true, false] {
            var reader = CSVReader()
            reader.useFastPath = fast
            let f = try reader.read(text: text, name: "t.csv")
            #expect(try strings(f, "position") == ["37°36'37.8\"N 121°2'17.9\"W"])
            #expect(try strings(f, "city") == ["Modesto"])
        }
    }

    @Test("strict quoting still refuses it; text after a closing quote and an open quote stay errors with their line")
    func quoteErrors() {
        let stray = readError("a,b\n1,2\n3,x\"y\n") { $0.quoting = .strict }
        #expect(stray?.kind == .strayQuote && stray?.line == 3)
        let after = readError("a,b\n1,2\n3,\"ab\"c\n")
        #expect(after?.kind == .strayQuote && after?.line == 3, "\(String(describing: after))")
        let open = readError("a,b\n1,2\n3,\"open\n4,5\n")
        #expect(open?.kind == .unterminatedQuote && open?.line == 3, "\(String(describing: open))")
    }

    @Test("literal quotes in a file split across cores read as on one core")
    func literalQuotesInChunks() throws {
        var lines = ["id,s"]
        for i in 0..<120_000 { lines.append(i % 1000 == 7 ? "\(i),5\"x" : (i % 1000 == 9 ? "\(i),\"a\nb\"" : "\(i),v\(i)")) }
        let text = lines.joined(separator: "\n") + "\n"
        var one = CSVReadOptions()
        one.threads = 1
        let a = try CSVReader(one).read(text: text)
        var many = CSVReadOptions()
        many.threads = 4
        let b = try CSVReader(many).read(text: text)
        #expect(a.rowCount == 120_000 && b.rowCount == 120_000)
        #expect(try strings(a, "s") == strings(b, "s"))
        #expect(try strings(b, "s")[7] == "5\"x" && strings(b, "s")[9] == "a\nb")
    }

    // MARK: Numbers

    @Test("integers past Int64 make the column text, never rounded doubles (9223372036854775807 and …808 stay apart)")
    func int64Overflow() throws {
        let f = try read("id\n9223372036854775807\n9223372036854775808\n")
        #expect(f.schema.fields[0].type == .string)
        #expect(try strings(f, "id") == ["9223372036854775807", "9223372036854775808"])
        let g = try read("id\n9223372036854775807\n1.5\n")
        #expect(g.schema.fields[0].type == .string, "a double would round 9223372036854775807")
        let h = try read("x\n1.5\n12345678901234567890\n")
        #expect(h.schema.fields[0].type == .string)
        let small = try read("x\n1\n2.5\n")
        #expect(small.schema.fields[0].type == .double)
        let typed = readError("id\n1\n9223372036854775808\n") { $0.columnTypes = ["id": .int64] }
        #expect(typed?.line == 3 && typed?.column == 1)
    }

    @Test("1e400 reads as infinity with a warning at its line and column; strict numbers refuse it")
    func overflowToInfinity() throws {
        let r = try CSVReader().readResult(bytes: Array("a,b\n1,2.5\n2,1e400\n3,inf\n4,-1e999\n".utf8), name: "t.csv")
        #expect(try r.frame.doubles("b")[1] == .infinity)
        #expect(r.warnings.count == 1)
        #expect(r.warnings.first?.place.line == 3 && r.warnings.first?.place.column == 2)
        #expect(r.warnings.first?.count == 2)
        #expect(r.warnings.first?.description.hasPrefix("t.csv:3:2: '1e400' is too large for a double") == true)
        let e = readError("a,b\n1,2.5\n2,1e400\n") { $0.numberOverflow = .fail }
        #expect(e?.kind == .numberOverflow(text: "1e400") && e?.line == 3 && e?.column == 2)
        #expect(readError("a,b\n1,inf\n") { $0.numberOverflow = .fail } == nil, "the word inf is a value")
    }

    // MARK: Formats and messages

    @Test("gzip and UTF-16 / UTF-32 inputs are named, not read as stray quotes or NUL bytes")
    func foreignFormats() {
        #expect(readError(bytes: [0x1F, 0x8B, 0x08, 0x00, 0x22, 0x00])?.kind == .notCSVText("a gzip file (decompress it first: gunzip -c FILE | sluice … -)"))
        let le = readError(bytes: [0xFF, 0xFE] + Array("a,b\n".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        #expect(le?.description.contains("UTF-16 LE") == true)
        #expect(readError(bytes: [0xFE, 0xFF, 0x00, 0x61])?.description.contains("UTF-16 BE") == true)
        #expect(readError(bytes: [0xFF, 0xFE, 0x00, 0x00, 0x61, 0, 0, 0])?.description.contains("UTF-32 LE") == true)
    }

    @Test("a value echoed in an error has its control characters escaped")
    func escapedValues() {
        let e = readError("a\n1\n\u{1B}[31mred\n") { $0.columnTypes = ["a": .int64] }
        #expect(e?.description.contains("\u{1B}") == false)
        #expect(e?.description.contains("\\u{1B}[31mred") == true, "\(String(describing: e))")
    }

    // MARK: Bounded resources

    @Test("an over-long unquoted field fails at its line after the cap, on the fast path too")
    func fieldCapFastPath() throws {
        var bytes = Array("a,b\n1,2\n3,".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 3 << 20) + Array("\n4,5\n".utf8)
        for fast in [true, false] {
            var o = CSVReadOptions()
            o.maxFieldBytes = 1 << 20
            var reader = CSVReader(o)
            reader.useFastPath = fast
            do {
                _ = try reader.read(bytes: bytes, name: "t.csv")
                Issue.record("read an over-long field")
            } catch {
                #expect(error.kind == .fieldTooLarge(limit: 1 << 20) && error.line == 3 && error.column == 2, "\(error)")
            }
        }
        bytes.removeAll()
    }

    @Test("a file truncated while it is read fails with exit 74 and a message, never SIGBUS")
    func truncatedWhileReading() throws {
        var text = "id,s,v\n"
        for i in 0..<400_000 { text += "\(i),abcdefgh,\(Double(i) / 7)\n" }
        let path = try temporaryFile(Array(text.utf8))
        do {
            _ = try CSVReader().readResult(path: path) { _ = truncate(path, 100_000) }
            Issue.record("read a truncated file")
        } catch {
            #expect(error.kind == .truncated(expected: text.utf8.count, now: 100_000), "\(error)")
            #expect(error.exitStatus == .ioError)
            #expect(error.description.contains("truncated while it was read"))
        }
    }

    @Test("a named FIFO is opened once and read to its end; /dev/zero stops at the field cap")
    func fifoAndDevZero() throws {
        let dir = try Fixtures.temporaryDirectory("fifo")
        let fifo = dir.appendingPathComponent("p").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            let bytes = Array("a,b\n1,x\n2,y\n".utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        writer.start()
        let f = try CSVReader().read(path: fifo)
        #expect(f.rowCount == 2)
        var o = CSVReadOptions()
        o.maxFieldBytes = 4 << 20
        #expect(throws: CSVError(.fieldTooLarge(limit: 4 << 20), file: "/dev/zero", line: 1, column: 1)) {
            try CSVReader(o).read(path: "/dev/zero")
        }
    }

    @Test("the stream scanner follows quotes: long quoted text with newlines counts as one field, from its line")
    func streamScanner() {
        var s = FieldLengthScanner(delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "\""), limit: 5)
        let ok = Array("a,b\n\"x\ny\",\"q\"\"q\"\n12345,1\n".utf8)
        #expect(ok.withUnsafeBufferPointer { s.scan($0) } == nil)
        var t = FieldLengthScanner(delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "\""), limit: 5)
        let long = Array("a,b\n1,\"ab\ncdef\"\n".utf8)
        #expect(long.withUnsafeBufferPointer { t.scan($0) }.map { [$0.0, $0.1] } == [2, 2])
    }
}
