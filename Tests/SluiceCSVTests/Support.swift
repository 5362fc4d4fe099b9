import Foundation
import Testing
import SluiceCSV
import SluiceFrame
import SluiceTestSupport

/// Reads `text` with options changed by `configure`.
func read(_ text: String, _ configure: (inout CSVReadOptions) -> Void = { _ in }) throws -> Frame {
    var o = CSVReadOptions()
    configure(&o)
    return try CSVReader(o).read(text: text, name: "t.csv")
}

/// Reads raw bytes.
func read(bytes: [UInt8], _ configure: (inout CSVReadOptions) -> Void = { _ in }) throws -> Frame {
    var o = CSVReadOptions()
    configure(&o)
    return try CSVReader(o).read(bytes: bytes, name: "t.csv")
}

/// The error reading `bytes` gives, or `nil` if it reads.
func readError(bytes: [UInt8], _ configure: (inout CSVReadOptions) -> Void = { _ in }) -> CSVError? {
    var o = CSVReadOptions()
    configure(&o)
    do {
        _ = try CSVReader(o).read(bytes: bytes, name: "t.csv")
        return nil
    } catch {
        return error
    }
}

func readError(_ text: String, _ configure: (inout CSVReadOptions) -> Void = { _ in }) -> CSVError? {
    readError(bytes: Array(text.utf8), configure)
}

func strings(_ f: Frame, _ name: String) throws -> [String?] {
    let s = try f.strings(name)
    return (0..<s.count).map { s[$0] }
}

/// A file in a fresh temporary directory holding `bytes`.
func temporaryFile(_ bytes: [UInt8], name: String = "data.csv") throws -> String {
    let dir = try Fixtures.temporaryDirectory("csv")
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}
