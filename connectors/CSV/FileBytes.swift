import Glibc

/// A whole input's bytes in one buffer, freed when the last reference goes.
///
/// A regular file is mapped read-only (no copy), under ``MappingGuard`` so that a file
/// truncated while it is read is reported (``checkUnchanged(name:)``), never a SIGBUS.
/// Anything else (a pipe, a FIFO, `/dev/stdin`, `-` for standard input, a character device
/// such as `/dev/zero`) is opened once and read in 1 MiB blocks, scanned as they arrive by
/// a ``FieldLengthScanner``: a field longer than the cap fails at its line as soon as it is
/// seen, so an endless input without a line end (`/dev/zero`) stops after the cap instead of
/// exhausting memory.
final class FileBytes: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    let count: Int
    private let mapped: Bool
    private let fd: Int32
    private let guardSlot: Int?

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        mapped = false
        fd = -1
        guardSlot = nil
    }

    private init(mapping: UnsafeMutablePointer<UInt8>, count: Int, fd: Int32) {
        pointer = mapping
        self.count = count
        mapped = true
        self.fd = fd
        guardSlot = MappingGuard.register(UnsafeMutableRawPointer(mapping), length: count)
    }

    deinit {
        if mapped {
            if let guardSlot { MappingGuard.unregister(guardSlot) }
            munmap(pointer, count)
            close(fd)
        } else {
            pointer.deallocate()
        }
    }

    /// What a streamed (non-regular) input is checked against while it is read.
    struct StreamLimits {
        var delimiter: UInt8 = UInt8(ascii: ",")
        var quote: UInt8 = UInt8(ascii: "\"")
        var maxFieldBytes: Int = .max
    }

    /// Opens `path` once (`-` is standard input): maps a non-empty regular file, reads
    /// anything else under `limits`.
    static func map(_ path: String, limits: StreamLimits = StreamLimits()) throws(CSVError) -> FileBytes {
        let stdin = path == "-"
        let fd = stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw openError(path) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = CSVError(.io(String(cString: strerror(errno))), file: path)
            if !stdin { close(fd) }
            throw e
        }
        let type = st.st_mode & S_IFMT
        if type == S_IFDIR {
            if !stdin { close(fd) }
            throw CSVError(.io("is a directory"), file: path)
        }
        if type == S_IFREG, st.st_size > 0,
           let m = mmap(nil, Int(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED {
            _ = madvise(m, Int(st.st_size), MADV_SEQUENTIAL)
            _ = madvise(m, Int(st.st_size), MADV_WILLNEED)
            // The mapping keeps the descriptor (for ``checkUnchanged(name:)``); stdin's is dup'ed.
            let kept = stdin ? dup(fd) : fd
            return FileBytes(mapping: m.assumingMemoryBound(to: UInt8.self), count: Int(st.st_size), fd: kept)
        }
        defer { if !stdin { close(fd) } }
        return try load(fd, path: path, expected: type == S_IFREG ? Int(st.st_size) : 0, limits: limits)
    }

    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: pointer, count: count) }

    /// Whether the bytes are a read-only mapping of the file (else a private copy).
    var isMapped: Bool { mapped }

    /// Throws ``CSVError/Kind/truncated`` when the mapped file shrank while it was read (a
    /// read past its new end was answered with zeros, or it is now shorter than mapped).
    func checkUnchanged(name: String) throws(CSVError) {
        guard mapped else { return }
        var st = stat()
        let shrank = fstat(fd, &st) == 0 && Int(st.st_size) < count
        if shrank || (guardSlot.map(MappingGuard.faulted) ?? false) {
            throw CSVError(.truncated(expected: count, now: shrank ? Int(st.st_size) : nil), file: name)
        }
    }

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

    /// Reads `fd` to its end in blocks, scanning each block for a field past the cap.
    static func load(_ fd: Int32, path: String, expected: Int, limits: StreamLimits) throws(CSVError) -> FileBytes {
        var capacity = max(expected, 1 << 16)
        var bytes = FileBytes(count: capacity)
        var filled = 0
        var scanner = FieldLengthScanner(delimiter: limits.delimiter, quote: limits.quote, limit: limits.maxFieldBytes)
        while true {
            if filled == capacity {
                let bigger = FileBytes(count: capacity * 2)
                bigger.pointer.update(from: bytes.pointer, count: filled)
                bytes = bigger
                capacity = bigger.count
            }
            let n = read(fd, bytes.pointer + filled, min(capacity - filled, 1 << 20))
            if n < 0 {
                if errno == EINTR { continue }
                throw CSVError(.readFailed(String(cString: strerror(errno))), file: path)
            }
            if n == 0 { break }
            if let (line, column) = scanner.scan(UnsafeBufferPointer(start: bytes.pointer + filled, count: n)) {
                throw CSVError(.fieldTooLarge(limit: limits.maxFieldBytes), file: path, line: line, column: column)
            }
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

/// Follows CSV quoting byte by byte, as libcsv does, only to know how long the current field
/// is and where it started: used on streamed inputs, which are not mapped, to refuse a field
/// past the cap while reading rather than after the whole input is in memory.
///
/// A quote opens a quoted field only at the start of a field; inside one, a doubled quote
/// is a quote and a single quote closes it; lines are counted inside quotes too (CR, LF and
/// CRLF each end one physical line), as ``CSVError/line`` counts them.
struct FieldLengthScanner {
    let delimiter: UInt8, quote: UInt8, limit: Int
    var line = 1, column = 1
    var fieldLength = 0
    var fieldLine = 1
    var atFieldStart = true, inQuotes = false, quotePending = false, afterCR = false

    init(delimiter: UInt8, quote: UInt8, limit: Int) {
        self.delimiter = delimiter
        self.quote = quote
        self.limit = limit
    }

    /// Scans `bytes`; returns the line and column of the first field past the limit.
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
        for b in bytes {
            let lineEnd = b == 0x0A || b == 0x0D
            if lineEnd {
                if !(b == 0x0A && afterCR) { line &+= 1 }
                afterCR = b == 0x0D
            } else {
                afterCR = false
            }
            if inQuotes {
                if quotePending {
                    quotePending = false
                    if b == quote { fieldLength &+= 1; continue }
                    inQuotes = false  // the quote closed the field: `b` is outside quotes
                } else if b == quote {
                    quotePending = true
                    continue
                } else {
                    fieldLength &+= 1
                    if fieldLength > limit { return (fieldLine, column) }
                    continue
                }
            }
            if b == delimiter {
                column &+= 1; fieldLength = 0; atFieldStart = true
            } else if lineEnd {
                column = 1; fieldLength = 0; atFieldStart = true
            } else if b == quote && atFieldStart {
                inQuotes = true; atFieldStart = false; fieldLine = line
            } else {
                if atFieldStart { fieldLine = line }
                atFieldStart = false
                fieldLength &+= 1
                if fieldLength > limit { return (fieldLine, column) }
            }
        }
        return nil
    }
}
