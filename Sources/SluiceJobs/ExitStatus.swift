import ArgumentParser

/// The CLI's exit codes, from sysexits(3), as DESIGN.md fixes them.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    case usage = 64
    case dataError = 65
    case noInput = 66
    case unavailable = 69
    case software = 70
    case cannotCreate = 73
    case temporaryFailure = 75
    case configuration = 78
}

/// A command failure with its exit status: the CLI prints `message` (the place, then the
/// reason) as the first line on stderr, then `detail` if any, and exits with `code`.
public struct CLIFailure: Error, CustomStringConvertible {
    public var code: ExitStatus
    public var message: String
    public var detail: String?

    public init(code: ExitStatus, message: String, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    public var description: String { [message, detail].compactMap { $0 }.joined(separator: "\n") }
}
