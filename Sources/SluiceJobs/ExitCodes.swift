import ArgumentParser
import Foundation
import SluiceCSV
import SluiceFrame
import SluicePostgres

/// The process exit statuses of the `sluice` command line (BSD sysexits, as DESIGN.md fixes).
public enum SysExit: Int32, Sendable, CaseIterable {
    /// Success.
    case ok = 0
    /// The command was used wrongly (bad option, bad argument).
    case usage = 64
    /// The input data was bad (a CSV parse error, a schema mismatch).
    case dataError = 65
    /// An input file does not exist or cannot be read.
    case noInput = 66
    /// A service (the database) is unavailable.
    case unavailable = 69
    /// An internal error.
    case software = 70
    /// An output file cannot be created.
    case cannotCreate = 73
    /// Try again later (another run holds the job's lock).
    case temporaryFailure = 75
    /// The configuration is wrong.
    case configuration = 78
}

/// The one place that maps errors to exit statuses and prints them. Every command ends a
/// failed run with `throw ExitCodes.report(error)`.
public enum ExitCodes {
    /// The exit status for `error`.
    public static func status(for error: any Error) -> SysExit {
        switch error {
        case let e as CSVError:
            switch e.kind {
            case .fileNotFound, .io: return .noInput
            case .invalidOption: return .usage
            default: return .dataError
            }
        case is FrameError: return .dataError
        case let e as PostgresError:
            switch e.kind {
            case .unavailable, .connectionLost: return .unavailable
            case .authentication, .configuration: return .configuration
            case .badData, .invalidIdentifier, .schema: return .dataError
            case .timeout: return .temporaryFailure
            case .server, .protocolViolation: return .software
            }
        case is ThrowawayClusterError: return .unavailable
        case is CocoaError: return .cannotCreate
        case is DatasetError: return .cannotCreate
        case is ValidationError: return .usage
        default: return .software
        }
    }

    /// Prints `error` on stderr (its first line names the place and the reason, e.g.
    /// `data.csv:4:3: expected 12 fields, saw 13`) and returns the exit code to throw.
    public static func report(_ error: any Error) -> ExitCode {
        if let code = error as? ExitCode { return code }
        printError("\(error)")
        return ExitCode(status(for: error).rawValue)
    }

    /// Writes `message` and a newline to stderr.
    public static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
