import CLibPQ
import Foundation

/// How to connect to PostgreSQL: a connection string plus Sluice's safety defaults.
///
/// The connection string is anything libpq accepts: a URL (`postgres://` or
/// `postgresql://`), a keyword string (`host=db dbname=app user=etl`), or the empty string,
/// with which libpq reads the `PG*` environment variables, the service file and `.pgpass`
/// (which libpq ignores unless its mode is 0600).
///
/// ## Defaults
///
/// Unless the connection string (or the matching `PG*` variable) sets them, connections use:
///
/// | setting | default | why |
/// |---|---|---|
/// | `connect_timeout` | 10 s | an unreachable server fails fast (the CLI exits 69) |
/// | `keepalives`, `keepalives_idle`, `keepalives_interval`, `keepalives_count` | on, 30 s, 10 s, 3 | a silent network cut is noticed in about a minute, not Linux's 2 hours |
/// | `tcp_user_timeout` | 60 s | unacknowledged writes fail instead of hanging |
/// | `application_name` | `sluice` | the job is visible in `pg_stat_activity` |
/// | `statement_timeout` | 30 min | set with `set_config` after connecting, unless the connection string's `options` set it |
///
/// Each is a property here: set it to another value, or to `nil` to leave libpq's and the
/// server's own default. `client_encoding` is always UTF8 (text columns are decoded as UTF-8).
///
/// ## TLS
///
/// `sslmode` and the other `ssl*` settings pass through unchanged. libpq's default, `prefer`,
/// protects neither against eavesdropping for sure nor against impersonation; for a remote
/// server use `sslmode=verify-full` (checks the certificate authority and the host name).
///
/// ## Secrets
///
/// The connection string is parsed once, when it is set, with libpq's own parser
/// (`PQconninfoParse`). Every secret value it yields (`password`, `sslpassword`, and
/// `PGPASSWORD` from ``environment``), in every form the string spells it, is registered with
/// ``Redaction/register(secrets:)``, so no error or log line can show it, libpq's own messages
/// included. A string libpq cannot parse, or one whose parts show a password that was not
/// percent-encoded (a port that is not a number, a second `@`), is refused before connecting
/// with only the kind of error: no part of it is ever printed.
///
/// ``description`` is the connection string with its password redacted
/// (see ``Redaction``), or a placeholder when the string is refused; the string itself is
/// only handed to libpq.
public struct PostgresConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// The libpq connection string (URL, keyword form, or empty for the environment).
    public var connectionString: String {
        didSet { check = ConnectionStringCheck(connectionString) }
    }
    /// What libpq's parser made of ``connectionString``: why it is refused, if it is.
    private(set) var check: ConnectionStringCheck
    /// `connect_timeout`; `nil` leaves libpq's default (wait forever).
    public var connectTimeout: Duration? = .seconds(10)
    /// TCP keepalive idle time before probes; `nil` leaves the system default (2 hours on Linux).
    public var keepaliveIdle: Duration? = .seconds(30)
    /// Time between keepalive probes.
    public var keepaliveInterval: Duration? = .seconds(10)
    /// Number of unanswered probes before the connection is dropped.
    public var keepaliveCount: Int? = 3
    /// `tcp_user_timeout`: how long transmitted data may stay unacknowledged.
    public var tcpUserTimeout: Duration? = .seconds(60)
    /// `statement_timeout` for every statement of the session; `nil` keeps the server's.
    public var statementTimeout: Duration? = .seconds(1800)
    /// `application_name`.
    public var applicationName: String? = "sluice"
    /// The environment to consult for `PG*` overrides of the defaults (`PGCONNECT_TIMEOUT`,
    /// `PGAPPNAME`, `PGOPTIONS`); the process environment by default.
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    /// A configuration for `connectionString` with the documented defaults.
    public init(_ connectionString: String) {
        self.connectionString = connectionString
        check = ConnectionStringCheck(connectionString)
        if let password = environment["PGPASSWORD"] { Redaction.register(secrets: [password]) }
    }

    /// A configuration for a resolved ``DatabaseTarget``.
    public init(_ target: DatabaseTarget) {
        self.init(target.connectionString)
    }

    /// The connection string with its password redacted; for a string that is refused (see
    /// ``refusal``), a placeholder that shows no part of it.
    public var description: String {
        if connectionString.isEmpty { return "(libpq environment)" }
        if check.refusal != nil { return "(a connection string that is not shown)" }
        return Redaction.redact(connectionString)
    }

    /// Why the connection string is refused before connecting, in words that quote no part
    /// of it; `nil` when libpq parses it and its parts look as intended.
    public var refusal: String? { check.refusal }

    /// The keyword/value pairs for `PQconnectdbParams` with `expand_dbname = 1`: the defaults
    /// first (so the connection string overrides them), then the connection string as
    /// `dbname`, then what must hold whatever it says (`client_encoding`).
    func connectionParameters() -> [(String, String)] {
        func seconds(_ d: Duration) -> String { String(max(1, d.components.seconds)) }
        func milliseconds(_ d: Duration) -> String {
            String(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
        }
        var pairs: [(String, String)] = []
        if let connectTimeout, (environment["PGCONNECT_TIMEOUT"] ?? "").isEmpty {
            pairs.append(("connect_timeout", seconds(connectTimeout)))
        }
        if keepaliveIdle != nil || keepaliveInterval != nil || keepaliveCount != nil { pairs.append(("keepalives", "1")) }
        if let keepaliveIdle { pairs.append(("keepalives_idle", seconds(keepaliveIdle))) }
        if let keepaliveInterval { pairs.append(("keepalives_interval", seconds(keepaliveInterval))) }
        if let keepaliveCount { pairs.append(("keepalives_count", String(keepaliveCount))) }
        if let tcpUserTimeout { pairs.append(("tcp_user_timeout", milliseconds(tcpUserTimeout))) }
        if let applicationName, (environment["PGAPPNAME"] ?? "").isEmpty {
            pairs.append(("application_name", applicationName))
        }
        pairs.append(("dbname", connectionString))
        pairs.append(("client_encoding", "UTF8"))
        return pairs
    }

    /// The `statement_timeout` value to set after connecting, in milliseconds.
    var statementTimeoutMilliseconds: Int64? {
        statementTimeout.map { $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000 }
    }
}

/// A connection string as libpq's parser sees it: the secrets in it (registered with
/// ``Redaction`` as soon as it is made) and, when it cannot be used, why, in words that quote
/// no part of it.
struct ConnectionStringCheck: Sendable, Equatable {
    /// Why the string is refused, or `nil`.
    var refusal: String?

    private static let encodingHint = "percent-encode any of / @ : ? # % space in a user name or password (e.g. @ as %40)"

    init(_ string: String) {
        refusal = nil
        guard !string.isEmpty else { return }
        // What looks like a password even when the string does not parse: registered first,
        // so that no message can show it whatever happens next.
        var secrets = Self.candidateSecrets(in: string)
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(string, &message) else {
            let text = message.map { String(cString: $0) } ?? "invalid connection string"
            if let message { PQfreemem(message) }
            secrets.append(string)
            Redaction.register(secrets: secrets)
            let schemeless = !Self.isURI(string) && !string.contains("=") && string.contains("@")
            refusal = "libpq cannot parse the connection string: \(Self.kindOfError(text))"
                + (schemeless ? ", and it looks like a URL without its postgresql:// scheme " : " ")
                + "(the string is not shown: it may hold a password; \(Self.encodingHint))"
            return
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var entry = options
        while let keyword = entry.pointee.keyword {
            if let value = entry.pointee.val { values[String(cString: keyword)] = String(cString: value) }
            entry += 1
        }
        for key in ["password", "sslpassword"] {
            guard let value = values[key], !value.isEmpty else { continue }
            secrets.append(value)
            for allowed in [CharacterSet.alphanumerics, .urlPasswordAllowed, .urlQueryAllowed] {
                if let encoded = value.addingPercentEncoding(withAllowedCharacters: allowed) { secrets.append(encoded) }
            }
        }
        Redaction.register(secrets: secrets)

        // A password that was not percent-encoded shows up in the wrong part.
        if let port = values["port"], !port.isEmpty,
           !port.split(separator: ",", omittingEmptySubsequences: false).allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) {
            refusal = "the connection string's port is not a number (the string is not shown: it may hold a password; \(Self.encodingHint))"
        } else if Self.isURI(string), string.prefix(while: { $0 != "?" }).filter({ $0 == "@" }).count > 1 {
            refusal = "the connection URL has more than one '@' (the string is not shown: it may hold a password; \(Self.encodingHint))"
        } else if let host = values["host"], host.contains("@") {
            refusal = "the connection string's host contains '@' (the string is not shown: it may hold a password; \(Self.encodingHint))"
        }
    }

    static func isURI(_ string: String) -> Bool {
        string.hasPrefix("postgresql://") || string.hasPrefix("postgres://")
    }

    /// What kind of error libpq's parse error is, in words of its own: libpq quotes the
    /// offending piece of the string, which may be the password, so its text is never shown.
    static func kindOfError(_ message: String) -> String {
        let kinds: [(String, String)] = [
            ("missing \"=\" after", "a word without \"=\" (keyword=value form expected)"),
            ("unterminated quoted string", "a quoted value that is never closed"),
            ("invalid connection option", "an unknown connection option"),
            ("invalid percent-encoded token", "invalid percent-encoding (% must be followed by two hex digits)"),
            ("forbidden value %00", "a percent-encoded NUL byte (%00)"),
            ("end of string reached when looking for matching \"]\"", "an IPv6 address without its closing ]"),
            ("IPv6 host address may not be empty", "an empty IPv6 address"),
            ("unexpected character", "an unexpected character in the URL"),
            ("extra key/value separator", "a query parameter with two \"=\""),
            ("missing key/value separator", "a query parameter without \"=\""),
            ("invalid URI query parameter", "an unknown query parameter"),
            ("out of memory", "out of memory"),
        ]
        return kinds.first { message.contains($0.0) }?.1 ?? "a malformed connection string"
    }

    /// Parts of `string` that look like a password whether or not it parses: the userinfo's
    /// password of a URL (or of a URL whose scheme was forgotten), its pieces, and the value
    /// after a `password` keyword (`password=X`, `password X`, `password:X`).
    static func candidateSecrets(in string: String) -> [String] {
        var found: [String] = []
        var body = Substring(string)
        if let scheme = body.range(of: "://") { body = body[scheme.upperBound...] }
        if !string.contains("="), let at = body.lastIndex(of: "@"), let colon = body[..<at].firstIndex(of: ":") {
            let password = body[body.index(after: colon)..<at]
            found.append(String(password))
            found += password.split(whereSeparator: { "/?#@:".contains($0) }).map(String.init).filter { $0.count >= 3 }
        } else if let at = body.lastIndex(of: "@"), let colon = body[..<at].firstIndex(of: ":"),
                  !body[..<colon].contains("/"), !body[..<colon].contains("=") {
            let password = body[body.index(after: colon)..<at]
            found.append(String(password))
            found += password.split(whereSeparator: { "/?#@:".contains($0) }).map(String.init).filter { $0.count >= 3 }
        }
        // password=X, password X, password:X (any case), X quoted or up to white space / & / #.
        let lower = string.lowercased()
        var search = lower.startIndex
        while let range = lower.range(of: "password", range: search..<lower.endIndex) {
            search = range.upperBound
            var i = range.upperBound
            while i < lower.endIndex, " \t=:".contains(lower[i]) { i = lower.index(after: i) }
            guard i < lower.endIndex else { break }
            let start = String.Index(i, within: string) ?? i
            var end = start
            if string[start] == "'" {
                end = string.index(after: start)
                while end < string.endIndex, string[end] != "'" { end = string.index(after: end) }
                let value = string[string.index(after: start)..<end]
                if !value.isEmpty { found.append(String(value)) }
            } else {
                while end < string.endIndex, !" \t\n\r&#".contains(string[end]) { end = string.index(after: end) }
                if start < end { found.append(String(string[start..<end])) }
            }
        }
        return found.filter { $0.count >= 2 }
    }
}
