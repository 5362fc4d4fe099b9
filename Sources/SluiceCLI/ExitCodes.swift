import ArgumentParser
import Foundation
import SluiceCSV
import SluiceFrame
import SluicePostgres

/// The process exit statuses of the `sluice` command line: DESIGN.md's sysexits classes.
public typealias SysExit = ExitStatus

/// The one place that maps errors to exit statuses and prints them. Every command ends a
/// failed run with `throw ExitCodes.report(error)`.
public enum ExitCodes {
    /// The exit status for `error`.
    public static func status(for error: any Error) -> SysExit {
        switch error {
        case let e as any ExitClassified: return e.exitStatus
        case is CocoaError: return .cannotCreate
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

    /// Writes `message` and a newline to stderr, with control characters escaped (`\u{1B}`):
    /// messages echo CSV values and file names, which can carry terminal escape sequences.
    /// Newlines stay (a message's detail lines follow its first line).
    public static func printError(_ message: String) {
        FileHandle.standardError.write(Data((MessageText.escapingControls(message) + "\n").utf8))
    }
}
