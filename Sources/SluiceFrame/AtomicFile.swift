import Foundation

/// Writes a file atomically: a temporary file in the same directory, renamed into place.
/// (Placeholder until the hardening branch's full helper lands.)
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent("\(url.lastPathComponent).sluice-tmp-\(getpid())")
        try Data(bytes).write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: reason])
        }
    }
}
