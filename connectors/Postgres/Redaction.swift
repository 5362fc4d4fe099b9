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
/// Every error and log line of ``SluicePostgres`` passes through ``redact(_:)``.
public enum Redaction {
    /// The replacement for a password.
    public static let mask = "***"

    /// `text` with every password in it replaced by ``mask``.
    public static func redact(_ text: String) -> String {
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return text }
        bytes = redactUserinfo(bytes)
        bytes = redactKeywords(bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

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
