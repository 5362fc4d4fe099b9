#if canImport(FoundationEssentials)
import struct FoundationEssentials.URL
#else
import struct Foundation.URL
#endif
import Glibc

/// A file that appears complete or not at all: every file Sluice writes goes through it.
///
/// ```swift
/// let file = try AtomicFile(path: "scores.csv")     // refuses a directory, a device, …
/// try file.write(header)
/// for chunk in chunks { try file.write(chunk) }     // streamed, no copy of the whole file
/// try file.commit()                                 // fsync, rename(2), fsync the directory
///
/// try AtomicFile.write(bytes, to: url)              // the same in one call
/// ```
///
/// **How.** Bytes go to a temporary file in the target's directory named
/// `NAME.sluice-tmp-PID` (`NAME.sluice-tmp-PID-N` when that name is taken), created with
/// `O_EXCL`. ``commit()`` syncs it, closes it and `rename(2)`s it over the target, which
/// atomically replaces a regular file and never replaces a directory; readers see the old
/// file or the new one, never a part. A symbolic link as the target is itself replaced by
/// the new file (its destination is left as it is).
///
/// **What it refuses**, before anything is written: an empty path, and a target that
/// exists and is a directory, a character or block device, a FIFO or a socket (the check is
/// made again just before the rename). Such targets are never touched.
///
/// **Cleanup.** Any failed write or commit removes the temporary file, and so does
/// ``discard()`` and dropping an uncommitted file. SIGINT, SIGTERM and SIGHUP remove the
/// live temporary files of the process before it dies of the signal (unless the program
/// handles those signals itself). A `kill -9` or a power cut can leave a temporary file,
/// visibly named: the next ``AtomicFile`` for the same target removes those of its naming
/// whose process is gone.
///
/// **Errors** are ``AtomicFileError``s naming the path and the system's reason: exit 73
/// when the output cannot be created, 74 when writing it failed (a full disk).
///
/// Not `Sendable`: one writer owns it; write from one task at a time.
public final class AtomicFile {
    /// The target path, as given.
    public let path: String
    /// The temporary file the bytes go to until ``commit()``.
    public let temporaryPath: String
    private var fd: Int32
    private var slot: Int?
    private var open = true
    private let replacing: Bool

    /// The marker in temporary file names: `NAME.sluice-tmp-PID`.
    public static let temporaryMarker = ".sluice-tmp-"

    /// Opens a temporary file for `path`, after checking that `path` may be replaced and
    /// removing stale temporary files of earlier, dead writers to the same target.
    ///
    /// - Parameter replacing: whether an existing regular file at `path` is replaced (the
    ///   default). With `false`, an existing file is an ``AtomicFileError/Kind/alreadyExists``
    ///   error, here and at ``commit()`` (which then links without replacing: a file created
    ///   meanwhile by someone else is kept).
    /// - Throws: ``AtomicFileError`` (nothing is created then).
    public init(path: String, replacing: Bool = true) throws(AtomicFileError) {
        self.path = path
        self.replacing = replacing
        let (directory, name) = try Self.check(path)
        if !replacing && access(path, F_OK) == 0 { throw AtomicFileError(.alreadyExists, path: path) }
        Self.removeStale(directory: directory, name: name)
        let pid = getpid()
        var attempt = 1
        var candidate = ""
        var descriptor: Int32 = -1
        while true {
            candidate = Self.join(directory, name + Self.temporaryMarker + "\(pid)" + (attempt == 1 ? "" : "-\(attempt)"))
            descriptor = Glibc.open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor >= 0 { break }
            let code = errno
            if code == EINTR { continue }
            if code == EEXIST && attempt < 1000 {
                // Ours from an earlier process with the same PID (containers), or a live sibling.
                if !TemporaryFiles.isLive(candidate), Self.isRegularFile(candidate) { _ = unlink(candidate); continue }
                attempt += 1
                continue
            }
            throw AtomicFileError(.cannotCreate(errno: code), path: path)
        }
        fd = descriptor
        temporaryPath = candidate
        slot = TemporaryFiles.register(candidate)
        var st = stat()
        if stat(path, &st) == 0 { _ = fchmod(descriptor, st.st_mode & 0o7777) }
    }

    /// Opens a temporary file for the file at `url` (see ``init(path:)``).
    public convenience init(url: URL, replacing: Bool = true) throws(AtomicFileError) {
        try self.init(path: url.path, replacing: replacing)
    }

    deinit {
        discard()
    }

    /// Appends the bytes of `buffer`. On failure the temporary file is removed.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(AtomicFileError) {
        guard open else { throw AtomicFileError(.closed, path: path) }
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let n = Glibc.write(fd, base + done, buffer.count - done)
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                discard()
                throw AtomicFileError(.writeFailed(errno: code), path: path)
            }
            if n == 0 {
                discard()
                throw AtomicFileError(.writeFailed(errno: EIO), path: path)
            }
            done += n
        }
    }

    /// Appends `bytes`. On failure the temporary file is removed.
    public func write(_ bytes: [UInt8]) throws(AtomicFileError) {
        var failure: AtomicFileError?
        bytes.withUnsafeBytes { raw in
            do throws(AtomicFileError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Appends `bytes` (any collection of bytes: an array slice, `Data`, a string's UTF-8).
    public func write(_ bytes: some Collection<UInt8>) throws(AtomicFileError) {
        var failure: AtomicFileError?
        let contiguous: Void? = bytes.withContiguousStorageIfAvailable { b in
            do throws(AtomicFileError) { try write(UnsafeRawBufferPointer(b)) } catch { failure = error }
        }
        if let failure { throw failure }
        if contiguous == nil { try write(Array(bytes)) }
    }

    /// Publishes the file: syncs it to disk, closes it, checks the target once more and
    /// renames the temporary file over it, then syncs the directory. On failure the
    /// temporary file is removed and the target is left as it was.
    public func commit() throws(AtomicFileError) {
        guard open else { throw AtomicFileError(.closed, path: path) }
        if fsync(fd) != 0 && errno != EINVAL {
            let code = errno
            discard()
            throw AtomicFileError(.writeFailed(errno: code), path: path)
        }
        let closed = close(fd)
        let closeCode = errno
        fd = -1
        if closed != 0 && closeCode != EINTR {
            discard()
            throw AtomicFileError(.writeFailed(errno: closeCode), path: path)
        }
        do {
            _ = try Self.check(path)
        } catch {
            discard()
            throw error
        }
        if !replacing {
            // link(2) never replaces: an existing target is EEXIST.
            if link(temporaryPath, path) != 0 {
                let code = errno
                discard()
                throw AtomicFileError(code == EEXIST ? .alreadyExists : .renameFailed(errno: code), path: path)
            }
            _ = unlink(temporaryPath)
        } else if rename(temporaryPath, path) != 0 {
            let code = errno
            discard()
            throw AtomicFileError(code == EISDIR ? .notARegularFile("a directory") : .renameFailed(errno: code), path: path)
        }
        open = false
        if let slot { TemporaryFiles.unregister(slot) }
        slot = nil
        let (directory, _) = Self.split(path)
        let dirFD = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }

    /// Abandons the file: closes and removes the temporary file; the target is untouched.
    /// Does nothing after ``commit()`` or a first ``discard()``.
    public func discard() {
        guard open else { return }
        open = false
        if fd >= 0 { close(fd) }
        fd = -1
        _ = unlink(temporaryPath)
        if let slot { TemporaryFiles.unregister(slot) }
        slot = nil
    }

    /// Writes `bytes` to `url` atomically in one call: ``init(url:)``, ``write(_:)-(some Collection<UInt8>)``, ``commit()``.
    public static func write(_ bytes: some Collection<UInt8>, to url: URL) throws(AtomicFileError) {
        try write(bytes, toPath: url.path)
    }

    /// Writes `bytes` to `path` atomically in one call.
    public static func write(_ bytes: some Collection<UInt8>, toPath path: String) throws(AtomicFileError) {
        let file = try AtomicFile(path: path)
        try file.write(bytes)
        try file.commit()
    }

    // MARK: Checks

    /// Throws the error ``init(path:replacing:)`` would for `path` (an empty path, or a target
    /// that is a directory, a device, a FIFO or a socket), without creating anything: for
    /// writers that append in place rather than replace.
    public static func checkTarget(_ path: String) throws(AtomicFileError) {
        _ = try check(path)
    }

    /// Refuses an empty path and a target that exists and is not a regular file; returns the
    /// directory and the file name.
    static func check(_ path: String) throws(AtomicFileError) -> (directory: String, name: String) {
        guard !path.isEmpty else { throw AtomicFileError(.emptyPath, path: path) }
        var st = stat()
        if stat(path, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: throw AtomicFileError(.notARegularFile("a directory"), path: path)
            case S_IFCHR, S_IFBLK: throw AtomicFileError(.notARegularFile("a device"), path: path)
            case S_IFIFO: throw AtomicFileError(.notARegularFile("a FIFO"), path: path)
            case S_IFSOCK: throw AtomicFileError(.notARegularFile("a socket"), path: path)
            default: throw AtomicFileError(.notARegularFile("not a regular file"), path: path)
            }
        }
        let (directory, name) = split(path)
        if name.isEmpty || name == "." || name == ".." {
            throw AtomicFileError(.notARegularFile("a directory"), path: path)
        }
        return (directory, name)
    }

    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory == "." ? name : (directory.hasSuffix("/") ? directory + name : directory + "/" + name)
    }

    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Removes `NAME.sluice-tmp-PID[-N]` files in `directory` whose process is gone (or is
    /// this process, without a live writer for it).
    static func removeStale(directory: String, name: String) {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        let prefix = name + temporaryMarker
        let me = getpid()
        while let entry = readdir(dir) {
            let entryName = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            guard entryName.hasPrefix(prefix) else { continue }
            let rest = entryName.dropFirst(prefix.count)
            let parts = rest.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }),
                  let pid = Int32(parts[0]) else { continue }
            let full = join(directory, entryName)
            let dead: Bool
            if pid == me {
                dead = !TemporaryFiles.isLive(full)
            } else {
                dead = kill(pid, 0) != 0 && errno == ESRCH
            }
            if dead && isRegularFile(full) { _ = unlink(full) }
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
