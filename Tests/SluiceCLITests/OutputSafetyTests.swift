import Foundation
import Glibc
import Testing
import SluiceTestSupport

/// Issue 9, "Data destroyed": no command deletes or replaces what it did not create.
@Suite("Outputs never destroy what is at the target", .serialized)
struct OutputSafetyTests {
    /// A directory holding two files, to be given as an output.
    private func populatedDirectory() throws -> (parent: URL, target: URL) {
        let parent = try Fixtures.temporaryDirectory("out")
        let target = parent.appendingPathComponent("D")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try "one".write(to: target.appendingPathComponent("a.txt"), atomically: false, encoding: .utf8)
        try "two".write(to: target.appendingPathComponent("b.txt"), atomically: false, encoding: .utf8)
        return (parent, target)
    }

    private func expectIntact(_ target: URL) {
        #expect(fileType(target.path) == S_IFDIR)
        #expect(listing(target) == ["a.txt", "b.txt"])
        #expect((try? String(contentsOf: target.appendingPathComponent("a.txt"), encoding: .utf8)) == "one")
    }

    @Test("generate churn --output DIR is refused (73, path and reason); DIR and its files stay")
    func generateIntoDirectory() throws {
        let (parent, target) = try populatedDirectory()
        let r = try runSluice(["generate", "churn", "--rows", "10", "--output", target.path])
        #expect(r.status == 73)
        #expect(r.stderr.contains("\(target.path): cannot create: is a directory"), "\(r.stderr)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain"))
        expectIntact(target)
        #expect(listing(parent) == ["D"], "no temporary file left")
    }

    @Test("generate churn --output \"\" is refused (73); the current directory is untouched")
    func generateEmptyPath() throws {
        let (parent, target) = try populatedDirectory()
        let r = try runSluice(["generate", "churn", "--rows", "10", "--output", ""], in: target)
        #expect(r.status == 73)
        #expect(r.stderr.contains("the path is empty"), "\(r.stderr)")
        expectIntact(target)
        #expect(listing(parent) == ["D"])
    }

    @Test("export --output DIR is refused (73) before any query runs; DIR stays")
    func exportIntoDirectory() throws {
        let (_, target) = try populatedDirectory()
        let r = try runSluice(["export", "--query", "select 1", "--output", target.path,
                               "--database-url", "postgresql://nobody@127.0.0.1:1/none"])
        #expect(r.status == 73, "\(r.stderr)")
        #expect(r.stderr.contains("is a directory"))
        expectIntact(target)
        let empty = try runSluice(["export", "--query", "select 1", "--output", "",
                                   "--database-url", "postgresql://nobody@127.0.0.1:1/none"])
        #expect(empty.status == 73 && empty.stderr.contains("the path is empty"), "\(empty.stderr)")
    }

    @Test("a device or a FIFO as the output is refused (73) and stays a device / FIFO")
    func generateIntoDeviceAndFIFO() throws {
        let r = try runSluice(["generate", "churn", "--rows", "10", "--output", "/dev/null"])
        #expect(r.status == 73 && r.stderr.contains("/dev/null: cannot create: is a device"), "\(r.stderr)")
        #expect(fileType("/dev/null") == S_IFCHR)
        let dir = try Fixtures.temporaryDirectory("out")
        let fifo = dir.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o644) == 0)
        let f = try runSluice(["generate", "churn", "--rows", "10", "--output", fifo])
        #expect(f.status == 73 && f.stderr.contains("is a FIFO"), "\(f.stderr)")
        #expect(fileType(fifo) == S_IFIFO)
        #expect(listing(dir) == ["pipe"])
    }

    /// Starts a large generate into `dir/g.csv` and waits until its temporary file has bytes.
    private func startLargeGenerate(_ dir: URL) throws -> (Process, String) {
        let process = Process()
        process.executableURL = try sluiceBinary()
        process.arguments = ["generate", "churn", "--rows", "50000000", "--output", dir.appendingPathComponent("g.csv").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let temp = dir.appendingPathComponent("g.csv.sluice-tmp-\(process.processIdentifier)").path
        for _ in 0..<600 {
            var st = stat()
            if stat(temp, &st) == 0 && st.st_size > 0 { break }
            usleep(20_000)
        }
        return (process, temp)
    }

    @Test("SIGKILL mid-write leaves only a visibly named temporary file; the next run removes it")
    func sigkillThenNextRun() throws {
        let dir = try Fixtures.temporaryDirectory("kill")
        let (process, temp) = try startLargeGenerate(dir)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(listing(dir) == [(temp as NSString).lastPathComponent], "only the temporary file: \(listing(dir))")
        #expect(temp.hasSuffix("g.csv.sluice-tmp-\(process.processIdentifier)"))
        let again = try runSluice(["generate", "churn", "--rows", "10", "--output", dir.appendingPathComponent("g.csv").path])
        #expect(again.status == 0)
        #expect(listing(dir) == ["g.csv"], "the stale temporary file is gone: \(listing(dir))")
    }

    @Test("SIGTERM mid-write leaves nothing, and the process still dies of SIGTERM")
    func sigtermLeavesNothing() throws {
        let dir = try Fixtures.temporaryDirectory("term")
        let (process, temp) = try startLargeGenerate(dir)
        #expect(FileManager.default.fileExists(atPath: temp))
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM)
        #expect(listing(dir) == [], "\(listing(dir))")
    }

    @Test("a failed write to stdout (inspect --json > /dev/full) exits 73 with the reason")
    func stdoutFull() throws {
        let dir = try Fixtures.temporaryDirectory("full")
        let csv = dir.appendingPathComponent("t.csv")
        try "a,b\n1,x\n2,y\n".write(to: csv, atomically: true, encoding: .utf8)
        let r = try runSluice(["inspect", csv.path, "--json"], stdoutPath: "/dev/full")
        #expect(r.status == 73)
        #expect(r.stderr.contains("cannot write to standard output: No space left on device"), "\(r.stderr)")
        let ok = try runSluice(["inspect", csv.path, "--json"], stdoutPath: "/dev/null")
        #expect(ok.status == 0)
    }
}
