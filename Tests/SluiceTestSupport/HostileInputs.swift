/// Inputs a hostile or careless user gives, shared by the test targets that must refuse them.
public enum HostileInputs {
    /// Connection strings whose password (`SEKRET`, or `SEK…RET` split by a space, `#`, `?` or
    /// a newline) must appear in no message: malformed URLs, bad percent-encoding, keyword
    /// forms, a forgotten scheme, an unencoded `@` (issue 9).
    public static let connectionStrings: [String] = [
        "postgresql://alice:SEKRET/x@127.0.0.1:5432/postgres",
        "postgresql://alice:SEK RET@127.0.0.1:1/postgres",
        "postgresql://alice:SEK#RET@127.0.0.1:1/postgres",
        "postgresql://alice:SEK?RET@127.0.0.1:1/postgres",
        "postgresql://alice:SEK\nRET@127.0.0.1:1/postgres",
        "postgresql://alice:SEKRET%zz@127.0.0.1:1/postgres",
        "postgresql://alice:SEKRET%00@127.0.0.1:1/postgres",
        "postgresql://127.0.0.1:1/postgres?password=SEKRET%zz",
        "password SEKRET",
        "password:SEKRET",
        "alice:SEKRET@host/db",
        "postgresql://alice:pw@SEKRET@host/db",
    ]
}
