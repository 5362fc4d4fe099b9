import Foundation
import Testing
import SluiceTestSupport

@Suite("The sluice command line keeps DESIGN.md's exit codes", .serialized)
struct CLITests {
    @Test("inspect prints the schema; --json is valid JSON")
    func inspect() throws {
        let dir = try Fixtures.temporaryDirectory("cli")
        let csv = dir.appendingPathComponent("t.csv")
        try "a,b,c\n1,x,2024-01-02\n2,,2024-02-03\n".write(to: csv, atomically: true, encoding: .utf8)
        let text = try runSluice(["inspect", csv.path])
        #expect(text.status == 0 && text.stdout.contains("int64") && text.stdout.contains("date"))
        let json = try runSluice(["inspect", csv.path, "--json"])
        #expect(json.status == 0)
        #expect((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) != nil)
    }

    @Test("a parse error exits 65 and names FILE:LINE:COL on stderr's first line")
    func parseError() throws {
        let dir = try Fixtures.temporaryDirectory("cli")
        let csv = dir.appendingPathComponent("bad.csv")
        try "a,b\n1,2\n3,4,5\n".write(to: csv, atomically: true, encoding: .utf8)
        let r = try runSluice(["inspect", csv.path])
        #expect(r.status == 65)
        #expect(r.stderr.split(separator: "\n").first?.hasPrefix("\(csv.path):3:") == true, "\(r.stderr)")
    }

    @Test("a missing file exits 66, a bad option 64, an unwritable output 73")
    func exitCodes() throws {
        #expect(try runSluice(["inspect", "/nonexistent/file.csv"]).status == 66)
        #expect(try runSluice(["inspect", "--no-such-option"]).status == 64)
        #expect(try runSluice(["generate", "churn", "--rows", "10", "--output", "/nonexistent/dir/x.csv"]).status == 73)
    }
}
