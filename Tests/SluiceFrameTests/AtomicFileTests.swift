import Foundation
import Glibc
import Testing
import SluiceFrame
import SluiceTestSupport

@Suite("AtomicFile writes whole files and refuses what it must not replace")
struct AtomicFileTests {
    @Test("streamed writes appear only at commit; the temporary file is visibly named")
    func streamAndCommit() throws {
        let dir = try Fixtures.temporaryDirectory("atomic")
        let target = dir.appendingPathComponent("out.csv").path
        let file = try AtomicFile(path: target)
        #expect(file.temporaryPath == dir.appendingPathComponent("out.csv.sluice-tmp-\(getpid())").path)
        try file.write(Array("a,b\n".utf8))
        try file.write("1,2\n".utf8)
        #expect(!FileManager.default.fileExists(atPath: target))
        try file.commit()
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "a,b\n1,2\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.csv"])
        try AtomicFile.write(Array("new\n".utf8), to: URL(fileURLWithPath: target))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new\n")
    }

    @Test("a directory, a device, a FIFO and an empty path are refused before anything is written")
    func refusals() throws {
        let dir = try Fixtures.temporaryDirectory("atomic")
        func kind(_ path: String) -> AtomicFileError.Kind? {
            do { _ = try AtomicFile(path: path); return nil } catch { return error.kind }
        }
        #expect(kind(dir.path) == .notARegularFile("a directory"))
        #expect(kind("") == .emptyPath)
        #expect(kind("/dev/null") == .notARegularFile("a device"))
        let fifo = dir.appendingPathComponent("f").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(kind(fifo) == .notARegularFile("a FIFO"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["f"])
        let e = AtomicFileError(.notARegularFile("a directory"), path: dir.path)
        #expect(e.exitStatus == .cannotCreate && e.description == "\(dir.path): cannot create: is a directory, not a regular file (it is left as it is)")
        #expect(AtomicFileError(.writeFailed(errno: ENOSPC), path: "x").description == "x: cannot write: No space left on device")
        #expect(AtomicFileError(.writeFailed(errno: ENOSPC), path: "x").exitStatus == .ioError)
    }

    @Test("a failed write removes the temporary file; discard and deinit do too")
    func cleanup() throws {
        let dir = try Fixtures.temporaryDirectory("atomic")
        let target = dir.appendingPathComponent("x").path
        do {
            let file = try AtomicFile(path: target)
            try file.write([1, 2, 3])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
        let file = try AtomicFile(path: target)
        file.discard()
        #expect(throws: AtomicFileError.self) { try file.commit() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
        let missing = dir.appendingPathComponent("no/such/dir/x").path
        #expect(throws: AtomicFileError.self) { try AtomicFile.write([1], toPath: missing) }
    }

    @Test("replacing: false never replaces an existing file")
    func createOnly() throws {
        let dir = try Fixtures.temporaryDirectory("atomic")
        let target = dir.appendingPathComponent("x").path
        try AtomicFile.write(Array("old".utf8), toPath: target)
        #expect(throws: AtomicFileError(.alreadyExists, path: target)) { try AtomicFile(path: target, replacing: false) }
        let file = try AtomicFile(path: dir.appendingPathComponent("y").path, replacing: false)
        try AtomicFile.write(Array("theirs".utf8), toPath: dir.appendingPathComponent("y").path)
        try file.write(Array("mine".utf8))
        #expect(throws: AtomicFileError.self) { try file.commit() }
        #expect(try String(contentsOfFile: dir.appendingPathComponent("y").path, encoding: .utf8) == "theirs")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["x", "y"])
    }

    @Test("stale temporary files of dead writers are removed by the next writer; live ones and others' stay")
    func staleRemoval() throws {
        let dir = try Fixtures.temporaryDirectory("atomic")
        let target = dir.appendingPathComponent("t.csv").path
        // PID 2^22+1 is above the kernel's default pid_max on most systems: no such process.
        let dead = target + ".sluice-tmp-4194399"
        let alive = target + ".sluice-tmp-1"         // init: alive
        let other = dir.appendingPathComponent("u.csv.sluice-tmp-4194399").path
        for p in [dead, alive, other] { _ = FileManager.default.createFile(atPath: p, contents: Data([1])) }
        try AtomicFile.write(Array("x".utf8), toPath: target)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["t.csv", "t.csv.sluice-tmp-1", "u.csv.sluice-tmp-4194399"])
    }
}
