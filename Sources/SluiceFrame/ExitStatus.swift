import SluiceCompute

/// The exit-status classes of DESIGN.md (BSD sysexits). Every Sluice error type says which
/// class it belongs to through ``ExitClassified``, so the command line maps errors to
/// statuses in one place without knowing each module's error types.
public enum ExitStatus: Int32, Sendable, CaseIterable, Codable {
    /// Success.
    case ok = 0
    /// The command was used wrongly (a bad option or argument).
    case usage = 64
    /// The input data was bad (a CSV parse error, a schema mismatch, a crafted artifact).
    case dataError = 65
    /// An input file does not exist or cannot be opened.
    case noInput = 66
    /// A service (the database) is unavailable.
    case unavailable = 69
    /// An internal error: a bug in Sluice, never the user's input.
    case software = 70
    /// An output file cannot be created.
    case cannotCreate = 73
    /// An input/output error while reading or writing.
    case ioError = 74
    /// Try again later (another run holds the job's lock, a lock or statement timed out).
    case temporaryFailure = 75
    /// Permission denied (a database privilege, a file mode).
    case noPermission = 77
    /// The configuration is wrong (credentials, a connection string, a pipeline or job definition).
    case configuration = 78
}

/// An error that knows its exit-status class. Errors that do not conform exit 70
/// (``ExitStatus/software``): an unclassified error is treated as a bug.
public protocol ExitClassified: Error {
    /// The class of this error, for the command line's exit status.
    var exitStatus: ExitStatus { get }
}

extension ComputeError: ExitClassified {
    /// A LAPACK routine's own failure (a singular or indefinite system) comes from the data
    /// (65); an illegal argument (negative `info`) is a bug in Sluice (70).
    public var exitStatus: ExitStatus {
        switch self {
        case let .lapack(_, info, _): return info > 0 ? .dataError : .software
        }
    }
}
