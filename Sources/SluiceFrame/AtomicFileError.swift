import Glibc

/// Why an ``AtomicFile`` could not create, write or publish its target, with the path.
///
/// The description is one line, `PATH: cannot create: REASON` (or `cannot write`), with the
/// system's reason (`strerror`) where there is one. A refused target (a directory, a device,
/// a FIFO, a socket, an empty path) and a file that cannot be created exit 73
/// (``ExitStatus/cannotCreate``); a failed write, sync or rename of an opened file exits 74
/// (``ExitStatus/ioError``).
public struct AtomicFileError: Error, ExitClassified, CustomStringConvertible, Sendable, Hashable {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The path is empty.
        case emptyPath
        /// The target exists and is not a regular file (`"a directory"`, `"a device"`,
        /// `"a FIFO"`, `"a socket"`): it is never replaced.
        case notARegularFile(String)
        /// The temporary file could not be created (`errno`).
        case cannotCreate(errno: Int32)
        /// A write, sync or close of the temporary file failed (`errno`; `ENOSPC` when full).
        case writeFailed(errno: Int32)
        /// The temporary file could not be renamed over the target (`errno`).
        case renameFailed(errno: Int32)
        /// The target exists and the file was opened with `replacing: false`.
        case alreadyExists
        /// The file was already committed or discarded.
        case closed
    }

    /// The target path, as given.
    public var path: String
    /// What went wrong.
    public var kind: Kind

    /// An error about `path`.
    public init(_ kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    /// The reason alone: `is a directory`, `No space left on device`, ….
    public var reason: String {
        switch kind {
        case .emptyPath: return "the path is empty"
        case let .notARegularFile(what): return "is \(what), not a regular file (it is left as it is)"
        case let .cannotCreate(code), let .writeFailed(code), let .renameFailed(code):
            return String(cString: strerror(code))
        case .alreadyExists: return "the file exists (it is left as it is)"
        case .closed: return "the file was already committed or discarded"
        }
    }

    /// `PATH: cannot create: REASON` or `PATH: cannot write: REASON`.
    public var description: String {
        let shown = path.isEmpty ? "\"\"" : path
        switch kind {
        case .writeFailed: return "\(shown): cannot write: \(reason)"
        case .renameFailed: return "\(shown): cannot replace: \(reason)"
        default: return "\(shown): cannot create: \(reason)"
        }
    }

    /// 73 when the output cannot be created, 74 when writing it failed.
    public var exitStatus: ExitStatus {
        switch kind {
        case .writeFailed, .renameFailed: return .ioError
        default: return .cannotCreate
        }
    }
}
