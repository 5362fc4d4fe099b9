import Glibc

/// A whole file's bytes in one buffer, freed when the last reference goes.
final class FileBytes: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    let count: Int
    private let mapped: Bool

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        mapped = false
    }

    private init(mapping: UnsafeMutablePointer<UInt8>, count: Int) {
        pointer = mapping
        self.count = count
        mapped = true
    }

    deinit {
        if mapped { munmap(pointer, count) } else { pointer.deallocate() }
    }

    /// Maps a regular file read-only (no copy: the pages are the page cache's), or reads it
    /// when it cannot be mapped (pipes, empty files).
    static func map(_ path: String) throws(CSVError) -> FileBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw openError(path) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0,
           let m = mmap(nil, Int(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED {
            _ = madvise(m, Int(st.st_size), MADV_SEQUENTIAL)
            _ = madvise(m, Int(st.st_size), MADV_WILLNEED)
            return FileBytes(mapping: m.assumingMemoryBound(to: UInt8.self), count: Int(st.st_size))
        }
        return try load(path)
    }

    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: pointer, count: count) }

    /// Whether the bytes are a read-only mapping of the file (else a private copy).
    var isMapped: Bool { mapped }

    /// Hands the whole pages inside `range` (byte offsets from `base`, a page-aligned file
    /// mapping) back to the kernel: they leave the resident set, and reading them again
    /// faults them in from the page cache or the file, unchanged. Only for read-only
    /// private file mappings (on anonymous memory this would zero the bytes).
    static func releasePages(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let start = Int(bitPattern: base + range.lowerBound), end = Int(bitPattern: base + range.upperBound)
        let from = (start + page - 1) / page * page, to = end / page * page
        if to > from, let p = UnsafeMutableRawPointer(bitPattern: from) {
            _ = madvise(p, to - from, MADV_DONTNEED)
        }
    }

    /// Reads `path`. A missing file is ``CSVError/Kind/fileNotFound``; other failures carry
    /// the system's reason.
    static func load(_ path: String) throws(CSVError) -> FileBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw openError(path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CSVError(.io(String(cString: strerror(errno))), file: path) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw CSVError(.io("is a directory"), file: path) }
        var capacity = max(Int(st.st_size), 0)
        var bytes = FileBytes(count: capacity)
        var filled = 0
        while true {
            if filled == capacity {
                // At the expected size: check for end of file before growing (the file grew,
                // or is not a regular file).
                var probe: UInt8 = 0
                let n = read(fd, &probe, 1)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CSVError(.io(String(cString: strerror(errno))), file: path)
                }
                if n == 0 { break }
                let bigger = FileBytes(count: max(capacity * 2, 1 << 16))
                bigger.pointer.update(from: bytes.pointer, count: filled)
                bigger.pointer[filled] = probe
                filled += 1
                bytes = bigger
                capacity = bigger.count
                continue
            }
            let n = read(fd, bytes.pointer + filled, capacity - filled)
            if n < 0 {
                if errno == EINTR { continue }
                throw CSVError(.io(String(cString: strerror(errno))), file: path)
            }
            if n == 0 { break }
            filled += n
        }
        if filled == bytes.count { return bytes }
        let exact = FileBytes(count: filled)
        exact.pointer.update(from: bytes.pointer, count: filled)
        return exact
    }

    static func openError(_ path: String) -> CSVError {
        errno == ENOENT ? CSVError(.fileNotFound, file: path) : CSVError(.io(String(cString: strerror(errno))), file: path)
    }
}
