/// One broken contract: which verifier, on which example, and what it saw.
public struct ConformanceFailure: Sendable, Equatable, CustomStringConvertible {
    /// The verifier's name, e.g. `"batches"`.
    public var verifier: String
    /// The example's label.
    public var subject: String
    public var message: String

    public init(verifier: String, subject: String, message: String) {
        self.verifier = verifier
        self.subject = subject
        self.message = message
    }

    public var description: String { "[\(verifier)] \(subject): \(message)" }
}

/// What verifiers collect as they run: every failure, none thrown away.
public struct Findings: Sendable {
    public private(set) var failures: [ConformanceFailure] = []

    public init() {}

    /// Records a failure unless `condition` holds.
    public mutating func expect(_ condition: Bool, _ verifier: String, _ subject: String,
                                _ message: @autoclosure () -> String) {
        if !condition { failures.append(ConformanceFailure(verifier: verifier, subject: subject, message: message())) }
    }

    /// Runs `body`, recording an error it throws as a failure of `verifier`.
    public mutating func run(_ verifier: String, _ subject: String, _ body: (inout Findings) throws -> Void) {
        do { try body(&self) } catch {
            failures.append(ConformanceFailure(verifier: verifier, subject: subject, message: "threw \(error)"))
        }
    }
}
