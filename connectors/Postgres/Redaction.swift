import Foundation

/// Removes passwords from connection strings and from any text that may quote one.
///
/// Three forms are redacted, wherever they appear in the text:
///
/// | form | example | becomes |
/// |---|---|---|
/// | URI userinfo | `postgresql://u:PASS@h/db` | `postgresql://u:***@h/db` |
/// | URI query parameter | `postgres://h/db?password=PASS&x=1` | `postgres://h/db?password=***&x=1` |
/// | keyword form | `host=h password=PASS` or `password = 'a b\'c'` | `host=h password=***` |
///
/// The patterns are only the second line of defence. The first is exact: every
/// ``PostgresConfiguration`` parses its connection string once with libpq's own parser
/// (`PQconninfoParse`), and registers every secret value it yields (`password`,
/// `sslpassword`, `PGPASSWORD`), in the forms the string spells them (decoded and
/// percent-encoded), with ``register(secrets:)``. ``redact(_:)`` replaces each registered
/// secret wherever it appears, whatever the text around it looks like, so a libpq message
/// that quotes a malformed string cannot carry the password out. A string libpq cannot
/// parse is never printed at all (see ``PostgresConfiguration/description``).
///
/// Every error and log line of ``SluicePostgres`` passes through ``redact(_:)``: every
/// text field of a ``PostgresError`` is redacted when the error is constructed.
public enum Redaction {
    /// The replacement for a password.
    public static let mask = "***"

    /// `text` with every registered secret and every password form in it replaced by ``mask``.
    public static func redact(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        var text = scrub(text, secrets: registry.secrets)
        var bytes = Array(text.utf8)
        bytes = redactUserinfo(bytes)
        bytes = redactKeywords(bytes)
        text = String(decoding: bytes, as: UTF8.self)
        return text
    }

    /// Remembers `secrets` (for the life of the process): ``redact(_:)`` replaces each of them
    /// wherever it appears. Empty strings are ignored.
    public static func register(secrets: some Sequence<String>) {
        registry.add(secrets)
    }

    /// `text` with each of `secrets` (longest first) replaced by ``mask``.
    static func scrub(_ text: String, secrets: [String]) -> String {
        var text = text
        for secret in secrets where !secret.isEmpty && text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: mask)
        }
        return text
    }

    /// The secrets seen so far, longest first; guarded by a lock (configurations are made on
    /// any thread).
    private final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var set: Set<String> = []
        private var sorted: [String] = []

        var secrets: [String] { lock.withLock { sorted } }

        func add(_ values: some Sequence<String>) {
            lock.withLock {
                var changed = false
                for value in values where !value.isEmpty && !set.contains(value) {
                    set.insert(value)
                    changed = true
                }
                if changed { sorted = set.sorted { $0.utf8.count != $1.utf8.count ? $0.utf8.count > $1.utf8.count : $0 < $1 } }
            }
        }
    }

    private static let registry = Registry()

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// `scheme://user:PASS@host`: everything between the first `:` of the userinfo and the
    /// last `@` before the path is the password.
    private static func redactUserinfo(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var i = 0
        let sep: [UInt8] = Array("://".utf8)
        while i < input.count {
            if i + 3 <= input.count, input[i] == sep[0], input[i + 1] == sep[1], input[i + 2] == sep[2] {
                out.append(contentsOf: sep)
                i += 3
                // The authority ends at '/', '?', '#' or white space.
                var end = i
                while end < input.count, !isSpace(input[end]), input[end] != UInt8(ascii: "/"),
                      input[end] != UInt8(ascii: "?"), input[end] != UInt8(ascii: "#") { end += 1 }
                if let at = input[i..<end].lastIndex(of: UInt8(ascii: "@")),
                   let colon = input[i..<at].firstIndex(of: UInt8(ascii: ":")) {
                    out.append(contentsOf: input[i...colon])
                    out.append(contentsOf: mask.utf8)
                    i = at
                }
                continue
            }
            out.append(input[i])
            i += 1
        }
        return out
    }

    /// `password=VALUE` after the start, white space, `?` or `&` (any case): the value is a
    /// quoted string with backslash escapes, or runs to white space (and, after `?` or `&`, `&` or `#`).
    private static func redactKeywords(_ input: [UInt8]) -> [UInt8] {
        let keyword = Array("password".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var i = 0
        while i < input.count {
            let before: UInt8? = i == 0 ? nil : input[i - 1]
            let boundary = before == nil || isSpace(before!) || before == UInt8(ascii: "?") || before == UInt8(ascii: "&")
                || before == UInt8(ascii: ";") || before == UInt8(ascii: ",") || before == UInt8(ascii: "(")
            if boundary, i + keyword.count <= input.count,
               zip(input[i..<(i + keyword.count)], keyword).allSatisfy({ $0 | 0x20 == $1 }) {
                var j = i + keyword.count
                while j < input.count, input[j] == 0x20 || input[j] == 0x09 { j += 1 }
                if j < input.count, input[j] == UInt8(ascii: "=") {
                    j += 1
                    while j < input.count, input[j] == 0x20 || input[j] == 0x09 { j += 1 }
                    let inQuery = before == UInt8(ascii: "?") || before == UInt8(ascii: "&")
                    if j < input.count, input[j] == UInt8(ascii: "'") {
                        j += 1
                        while j < input.count, input[j] != UInt8(ascii: "'") {
                            j += input[j] == UInt8(ascii: "\\") ? 2 : 1
                        }
                        j = min(j + 1, input.count)
                    } else {
                        while j < input.count, !isSpace(input[j]),
                              !(inQuery && (input[j] == UInt8(ascii: "&") || input[j] == UInt8(ascii: "#"))) { j += 1 }
                    }
                    out.append(contentsOf: input[i..<(i + keyword.count)])
                    out.append(UInt8(ascii: "="))
                    out.append(contentsOf: mask.utf8)
                    i = j
                    continue
                }
            }
            out.append(input[i])
            i += 1
        }
        return out
    }
}
