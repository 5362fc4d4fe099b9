import Foundation
import SluicePipeline

/// Prints training progress: a bar redrawn in place on a terminal, one plain line per epoch
/// elsewhere (a log file, a scheduler's captured output). Pass ``observer`` to `Pipeline.fit`.
public enum TrainingProgress {
    /// An observer writing epochs to standard error; other units (a learner's iterations) are ignored.
    public static func observer(width: Int = 30) -> @Sendable (FitProgress) -> Void {
        let terminal = isatty(STDERR_FILENO) != 0
        return { p in
            guard p.unit == .epoch else { return }
            FileHandle.standardError.write(Data(line(p, terminal: terminal, width: width).utf8))
        }
    }

    /// The text for one epoch: `\r[#####-----] epoch 3/10 loss 0.4123 …` on a terminal (a
    /// newline after the last epoch), `epoch 3/10 loss=0.4123 …\n` elsewhere.
    public static func line(_ p: FitProgress, terminal: Bool, width: Int = 30) -> String {
        let names = p.metrics.keys.sorted()
        let total = p.total.map { "/\($0)" } ?? ""
        if terminal {
            let figures = names.map { "\($0) \(String(format: "%.4g", p.metrics[$0] ?? .nan))" }.joined(separator: "  ")
            let done = p.total.map { min(width, width * p.step / max(1, $0)) } ?? 0
            let bar = String(repeating: "#", count: done) + String(repeating: "-", count: width - done)
            let end = p.total == p.step ? "\n" : ""
            return "\r[\(bar)] \(p.source) epoch \(p.step)\(total)  \(figures)\u{1B}[K\(end)"
        }
        let figures = names.map { "\($0)=\(String(format: "%.6g", p.metrics[$0] ?? .nan))" }.joined(separator: " ")
        return "\(p.source) epoch \(p.step)\(total) \(figures)\n"
    }
}
