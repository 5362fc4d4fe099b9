import Foundation
import SluiceCompute

/// Seeded test data and paths shared by the test targets.
public enum Fixtures {
    /// A random matrix of standard normal values, the same for the same seed.
    public static func matrix<T: BLASScalar>(_ rows: Int, _ columns: Int, seed: UInt64, as: T.Type = Double.self) -> Matrix<T> {
        var rng = SeededGenerator(seed: seed)
        return Matrix<T>.normal(rows: rows, columns: columns, using: &rng)
    }

    /// The repository root (found from this file's path), for reading `examples/` data.
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// A fresh, empty temporary directory, unique per call.
    public static func temporaryDirectory(_ label: String = "test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// The built `sluice` executable (beside the test bundle, or in `.build/debug`), for tests
/// that run it as a process.
public func sluiceBinary() throws -> URL {
    let binary = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("sluice")
    let candidates = [binary, Fixtures.repositoryRoot.appendingPathComponent(".build/debug/sluice")]
    guard let url = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw CocoaError(.fileNoSuchFile)
    }
    return url
}
