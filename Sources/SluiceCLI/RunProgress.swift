import Foundation
import Logging
import SluiceJobs
import SluicePipeline
import Synchronization

/// Logging for the command line: swift-log's stream handler on stderr, at
/// `SLUICE_LOG_LEVEL` (trace … critical; default info), bootstrapped once per process.
enum CLILogging {
    private static let bootstrapped = Mutex(false)

    static func logger(_ label: String) -> Logger {
        bootstrapped.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = ProcessInfo.processInfo.environment["SLUICE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
                return handler
            }
        }
        return Logger(label: label)
    }
}

/// A run's progress on stderr: one line rewritten in place on a terminal (phase, rows, fit
/// steps with their rate), nothing extra otherwise (the run's log lines say each phase).
final class RunProgress: Sendable {
    private struct State {
        var phase = ""
        var detail = ""
        var started = ContinuousClock.now
        var lastDraw = ContinuousClock.now
        var drawn = false
    }
    private let state = Mutex(State())
    private let terminal = isatty(2) != 0

    var handle: @Sendable (RunEvent) -> Void { { [self] in self.event($0) } }

    private func event(_ e: RunEvent) {
        guard terminal else { return }
        state.withLock { s in
            switch e {
            case .phase(let p): s.phase = p.rawValue; s.detail = ""; s.started = .now
            case .rowsRead(let n, let source): s.detail = "\(n) \(source) rows read"
            case .rowsStaged(let n): s.detail = "\(n) rows staged"
            case .fit(let f):
                let elapsed = ContinuousClock.now - s.started
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                let rate = seconds > 0 ? String(format: ", %.1f/s", Double(f.step) / seconds) : ""
                var eta = ""
                if let total = f.total, f.step > 0, seconds > 0 {
                    eta = String(format: ", ETA %.0fs", seconds / Double(f.step) * Double(max(0, total - f.step)))
                }
                let loss = f.metrics["loss"].map { String(format: ", loss %.4g", $0) } ?? ""
                s.detail = "\(f.source) \(f.unit.rawValue) \(f.step)\(f.total.map { "/\($0)" } ?? "")\(rate)\(eta)\(loss)"
            case .note(let text): s.detail = text
            }
            // At most ten redraws a second.
            if ContinuousClock.now - s.lastDraw < .milliseconds(100), case .fit = e { return }
            s.lastDraw = .now
            s.drawn = true
            let line = "[\(s.phase)] \(s.detail)"
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + String(line.prefix(120))).utf8))
        }
    }

    /// Ends the progress line.
    func finish() {
        state.withLock { s in
            if terminal && s.drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        }
    }
}
