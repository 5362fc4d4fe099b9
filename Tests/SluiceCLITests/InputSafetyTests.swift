import Foundation
import Glibc
import Testing
import SluiceTestSupport

/// Issue 9, "Traps and unbounded resources" and "Exit codes and messages", through the CLI.
@Suite("The CLI reads hostile inputs without traps, in bounded memory, with clear messages", .serialized)
struct InputSafetyTests {
    private func file(_ bytes: [UInt8], _ name: String = "t.csv") throws -> String {
        let url = try Fixtures.temporaryDirectory("in").appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test("a file truncated while inspect reads it ends with 65 or 74 and a message, never a signal")
    func truncatedUnderInspect() throws {
        let dir = try Fixtures.temporaryDirectory("trunc")
        let csv = dir.appendingPathComponent("v.csv").path
        #expect(try runSluice(["generate", "churn", "--rows", "1000000", "--output", csv]).status == 0)
        let process = Process()
        process.executableURL = try sluiceBinary()
        process.arguments = ["inspect", csv]
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        usleep(150_000)
        #expect(truncate(csv, 100_000) == 0)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "died of signal \(process.terminationStatus)")
        #expect([0, 65, 74].contains(process.terminationStatus), "\(stderr)")
        if process.terminationStatus == 74 { #expect(stderr.contains("truncated while it was read")) }
    }

    @Test("inspect /dev/zero stops at the field cap (65, line 1) in bounded memory; the cap is settable")
    func devZero() throws {
        let dir = try Fixtures.temporaryDirectory("zero")
        let log = dir.appendingPathComponent("err").path
        let r = try runSluiceMeasured(["inspect", "/dev/zero", "--max-field-bytes", "8000000"], stderrPath: log)
        let stderr = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(r.signal == 0 && r.status == 65, "\(stderr)")
        #expect(stderr.hasPrefix("/dev/zero:1:1: field is larger than the limit of 8000000 bytes"), "\(stderr)")
        #expect(r.maxRSSKiB < 120_000, "peak RSS \(r.maxRSSKiB) KiB")
    }

    @Test("a 200 MB file with an over-long field on line 2 fails at the field in bounded memory")
    func hugeFieldOnLine2() throws {
        let dir = try Fixtures.temporaryDirectory("huge")
        let path = dir.appendingPathComponent("big.csv").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let head = Array("a,b\n1,".utf8)
        _ = head.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<200 { _ = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
        close(fd)
        defer { unlink(path) }
        let log = dir.appendingPathComponent("err").path
        let r = try runSluiceMeasured(["inspect", path, "--max-field-bytes", "1000000"], stderrPath: log)
        let stderr = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(r.status == 65 && stderr.hasPrefix("\(path):2:2: field is larger than the limit of 1000000 bytes"), "\(stderr)")
        #expect(r.maxRSSKiB < 100_000, "peak RSS \(r.maxRSSKiB) KiB")
    }

    @Test("a named FIFO does not hang; /dev/stdin and - read standard input")
    func fifoAndStdin() throws {
        let dir = try Fixtures.temporaryDirectory("fifo")
        let fifo = dir.appendingPathComponent("p").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let process = Process()
        process.executableURL = try sluiceBinary()
        process.arguments = ["inspect", fifo]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let fd = open(fifo, O_WRONLY)
        let bytes = Array("a,b\n1,x\n2,y\n".utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && text.contains("2 rows"), "\(text)")
        let csv = try file(bytes)
        for name in ["-", "/dev/stdin"] {
            let r = try runSluice(["inspect", name], stdinPath: csv)
            #expect(r.status == 0 && r.stdout.contains("2 rows"), "\(name): \(r.stderr)")
        }
    }

    @Test("inspect --json stays valid JSON with inf, -inf, NaN and 1e400 (as strings), and warns about 1e400 with its place")
    func nonFiniteJSON() throws {
        let csv = try file(Array("a,b\n1,inf\n2,-inf\n3,NaN\n4,1e400\n5,0.5\n".utf8))
        let r = try runSluice(["inspect", csv, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let columns = json?["columns"] as? [[String: Any]]
        #expect(columns?[1]["max"] as? String == "inf" && columns?[1]["min"] as? String == "-inf")
        #expect(r.stderr.contains("warning: \(csv):5:2: '1e400' is too large for a double"), "\(r.stderr)")
        let strict = try runSluice(["inspect", csv, "--strict-numbers"])
        #expect(strict.status == 65 && strict.stderr.hasPrefix("\(csv):5:2:"), "\(strict.stderr)")
    }

    @Test("integers 9223372036854775807 and …808 are inferred as text, not one rounded double")
    func bigIntegers() throws {
        let csv = try file(Array("id\n9223372036854775807\n9223372036854775808\n".utf8))
        let r = try runSluice(["inspect", csv, "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let columns = json?["columns"] as? [[String: Any]]
        #expect(columns?[0]["type"] as? String == "string" && columns?[0]["distinct"] as? Int == 2)
    }

    @Test("gzip and UTF-16 inputs are named; --rows -5 says it must not be negative")
    func messages() throws {
        let gz = try file([0x1F, 0x8B, 0x08, 0x00, 0x22, 0x2C, 0x00, 0x00], "t.csv.gz")
        let g = try runSluice(["inspect", gz])
        #expect(g.status == 65 && g.stderr.contains("this is a gzip file"), "\(g.stderr)")
        let u = try file([0xFF, 0xFE, 0x61, 0x00, 0x0A, 0x00])
        let r = try runSluice(["inspect", u])
        #expect(r.status == 65 && r.stderr.contains("UTF-16 LE") && !r.stderr.contains("NUL"), "\(r.stderr)")
        for args in [["inspect", u, "--rows", "-5"], ["generate", "churn", "--rows", "-5", "--output", "x.csv"]] {
            let n = try runSluice(args)
            #expect(n.status == 64 && n.stderr.contains("--rows must not be negative") && !n.stderr.contains("Missing value"), "\(n.stderr)")
        }
    }

    @Test("terminal escape sequences in CSV values are escaped in error messages")
    func escapes() throws {
        let csv = try file(Array("a\n1\n\u{1B}]0;pwned\u{07}\u{1B}[2J\n".utf8))
        let r = try runSluice(["inspect", csv, "--type", "a=int64"])
        #expect(r.status == 65)
        #expect(!r.stderr.utf8.contains(0x1B) && !r.stderr.utf8.contains(0x07), "\(r.stderr.debugDescription)")
        #expect(r.stderr.contains("\\u{1B}]0;pwned"))
    }

    @Test("a quote inside an unquoted field reads by default; --strict-quotes refuses it with its line")
    func literalQuotes() throws {
        let csv = try file(Array("id,pos,city\n2095257564,37°36'37.8\"N 121°2'17.9\"W,Modesto\n".utf8))
        let r = try runSluice(["inspect", csv, "--json"])
        #expect(r.status == 0 && r.stdout.contains("37°36'37.8\\\"N 121°2'17.9\\\"W"), "\(r.stdout)\(r.stderr)")
        let s = try runSluice(["inspect", csv, "--strict-quotes"])
        #expect(s.status == 65 && s.stderr.hasPrefix("\(csv):2:"), "\(s.stderr)")
        let after = try file(Array("a,b\n1,\"ab\"c\n".utf8))
        let a = try runSluice(["inspect", after])
        #expect(a.status == 65 && a.stderr.hasPrefix("\(after):2:"), "\(a.stderr)")
    }

    @Test("load takes inspect's CSV options: they shape the read before any database is reached")
    func loadTakesCSVOptions() throws {
        let url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
        let csv = try file(Array("a;b\n1;x\"y\n".utf8))
        let strict = try runSluice(["load", csv, "--table", "t", "--delimiter", ";", "--strict-quotes", "--database-url", url])
        #expect(strict.status == 65 && strict.stderr.hasPrefix("\(csv):2:"), "\(strict.stderr)")
        let cap = try runSluice(["load", csv, "--table", "t", "--delimiter", ";", "--max-field-bytes", "2", "--database-url", url])
        #expect(cap.status == 65 && cap.stderr.contains("larger than the limit of 2 bytes"), "\(cap.stderr)")
        let fine = try runSluice(["load", csv, "--table", "t", "--delimiter", ";", "--lenient-quotes", "--null", "NA",
                                  "--type", "a=int64", "--trim", "--skip-bad-rows", "--database-url", url])
        #expect(fine.status == 69, "read fine, then no database: \(fine.stderr)")
        let help = try runSluice(["load", "--help"])
        for option in ["--lenient-quotes", "--strict-quotes", "--delimiter", "--quote", "--null", "--type", "--trim",
                       "--skip-bad-rows", "--max-field-bytes", "--no-header", "--strict-numbers"] {
            #expect(help.stdout.contains(option), "load --help lacks \(option)")
        }
    }
}
