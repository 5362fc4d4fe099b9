// `@preconcurrency`: C `stdout` is a mutable global; it is only touched here, at the end of a run.
@preconcurrency import Glibc
import SluiceFrame

/// Standard output, checked at the end of a run: one mechanism for every command.
///
/// Commands print with `print` (C `stdout`, buffered). A write that fails (a full disk, a
/// closed pipe's `EIO`, `/dev/full`) sets the stream's error flag or fails the final flush;
/// ``finish()`` flushes and reports either as a ``Failure``, which the entry point prints and
/// exits with (73, ``ExitStatus/cannotCreate``: the output could not be written).
enum StandardOutput {
    /// A failed write to standard output.
    struct Failure: ExitClassified, CustomStringConvertible {
        /// The system's reason, when known.
        var reason: String
        var description: String { "sluice: cannot write to standard output: \(reason)" }
        var exitStatus: ExitStatus { .cannotCreate }
    }

    /// Flushes standard output; returns the failure, if a write failed now or earlier.
    static func finish() -> Failure? {
        errno = 0
        let flushed = fflush(stdout)
        let code = errno
        if flushed != 0 || ferror(stdout) != 0 {
            return Failure(reason: code != 0 ? String(cString: strerror(code)) : "a write failed")
        }
        return nil
    }
}
