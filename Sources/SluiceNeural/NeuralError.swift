import SluiceFrame

/// Why a network refused to build, train or predict: each case names the layer (or the
/// training option) and says what to change.
public enum NeuralError: Error, Equatable, Sendable, CustomStringConvertible, ExitClassified {
    /// A layer was given an input of the wrong shape: `"Dense expects 64 inputs, got 63"`.
    case shape(layer: String, reason: String)
    /// A layer or training option outside its domain.
    case invalidConfiguration(component: String, name: String, reason: String)
    /// An input value a layer cannot take (an embedding index out of range, a NaN).
    case invalidInput(layer: String, reason: String)
    /// Training diverged (a loss that is NaN or infinite).
    case diverged(epoch: Int, batch: Int)
    /// A training backup (``Backup``) that cannot be resumed: written by another run (other
    /// options, layers, rows or seed), damaged, or unreadable. Remove the file to start afresh.
    case backupMismatch(path: String, reason: String)

    public var description: String {
        switch self {
        case let .shape(layer, reason): return "\(layer) \(reason)"
        case let .invalidConfiguration(component, name, reason): return "\(component): \(name) \(reason)"
        case let .invalidInput(layer, reason): return "\(layer): \(reason)"
        case let .diverged(epoch, batch):
            return "training diverged at epoch \(epoch), batch \(batch): the loss is not finite (lower the learning rate or clip gradients)"
        case let .backupMismatch(path, reason):
            return "training backup \(path) cannot be resumed: \(reason) (remove it to train from the first epoch)"
        }
    }

    /// Wrong shapes and options are configuration errors (78); bad values are bad input (65);
    /// a diverged fit is bad input too (the data or its scale); a backup of another run is a
    /// configuration error.
    public var exitStatus: ExitStatus {
        switch self {
        case .shape, .invalidConfiguration, .backupMismatch: return .configuration
        case .invalidInput, .diverged: return .dataError
        }
    }
}
