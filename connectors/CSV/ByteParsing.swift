import Glibc
import SluiceFrame

/// Byte-level parsers for field values. Each takes a pointer and a length (fields are not
/// NUL-terminated) and returns `nil` when the text is not a value of its type.
enum ByteParsing {
    /// The exact power of ten `10^e` for `0 <= e <= 22` (a constant table, no lazy global).
    @inline(__always)
    static func exactPowerOfTen(_ e: Int) -> Double {
        switch e {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }

    /// A decimal integer: optional sign, digits. With `leadingZeros == false` (inference),
    /// `0123` is refused so that zero-padded IDs stay text.
    @inline(__always)
    static func int64(_ p: UnsafePointer<UInt8>, _ n: Int, leadingZeros: Bool) -> Int64? {
        var i = 0
        var negative = false
        if n > 0 && (p[0] == 0x2D || p[0] == 0x2B) { negative = p[0] == 0x2D; i = 1 }
        let digits = n &- i
        if digits <= 0 || digits > 19 { return nil }
        if !leadingZeros && digits > 1 && p[i] == 0x30 { return nil }
        var v: UInt64 = 0
        while i < n {
            let d = p[i] &- 0x30
            if d > 9 { return nil }
            v = v &* 10 &+ UInt64(d)
            i &+= 1
        }
        if negative {
            if v > UInt64(Int64.max) &+ 1 { return nil }
            return v == UInt64(Int64.max) &+ 1 ? Int64.min : -Int64(v)
        }
        return v > UInt64(Int64.max) ? nil : Int64(v)
    }

    /// A decimal float (`1.5`, `-.5`, `5.`, `1e-3`), or `nan` / `inf` / `infinity` (any
    /// case, optional sign). Exact (correctly rounded, the same bits as `strtod`): up to 19
    /// digits with a mantissa of at most 2^53 and a decimal exponent within ±22 take
    /// Clinger's fast path (one exact conversion and one correctly rounded multiplication or
    /// division by an exact power of ten); the rest go to `strtod` after the syntax is
    /// checked here.
    @inline(__always)
    static func double(_ p: UnsafePointer<UInt8>, _ n: Int, leadingZeros: Bool) -> Double? {
        var i = 0
        var negative = false
        if n > 0 && (p[0] == 0x2D || p[0] == 0x2B) { negative = p[0] == 0x2D; i = 1 }
        if i >= n { return nil }
        let c0 = p[i] | 0x20
        if c0 == UInt8(ascii: "n") || c0 == UInt8(ascii: "i") { return special(p + i, n &- i, negative) }
        // Digits before and after the point, all into one mantissa (exact up to 19 digits;
        // more wrap and are sent to strtod below).
        var mantissa: UInt64 = 0
        let intStart = i
        while i < n {
            let d = p[i] &- 0x30
            if d > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            i &+= 1
        }
        let intDigits = i &- intStart
        if !leadingZeros && intDigits > 1 && p[intStart] == 0x30 { return nil }
        var fracDigits = 0
        if i < n && p[i] == 0x2E {
            i &+= 1
            let fracStart = i
            while i < n {
                let d = p[i] &- 0x30
                if d > 9 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                i &+= 1
            }
            fracDigits = i &- fracStart
        }
        let digits = intDigits &+ fracDigits
        if digits == 0 { return nil }
        var exponent = 0
        if i < n {
            guard (p[i] | 0x20) == UInt8(ascii: "e") else { return nil }
            i &+= 1
            var expNegative = false
            if i < n && (p[i] == 0x2D || p[i] == 0x2B) { expNegative = p[i] == 0x2D; i &+= 1 }
            let expStart = i
            var e = 0
            while i < n {
                let d = p[i] &- 0x30
                if d > 9 { break }
                if e < 100_000 { e = e &* 10 &+ Int(d) }
                i &+= 1
            }
            if i == expStart || i != n { return nil }
            exponent = expNegative ? -e : e
        }
        if digits <= 19 && mantissa <= 1 << 53 {
            if mantissa == 0 { return negative ? -0.0 : 0.0 }
            let e = exponent &- fracDigits
            if e >= -22 && e <= 22 {
                // mantissa <= 2^53: the signed conversion is exact and one instruction.
                var v = Double(Int64(bitPattern: mantissa))
                v = e < 0 ? v / exactPowerOfTen(-e) : v * exactPowerOfTen(e)
                return negative ? -v : v
            }
        }
        return slow(p, n)
    }

    @inline(never)
    private static func special(_ p: UnsafePointer<UInt8>, _ n: Int, _ negative: Bool) -> Double? {
        func matches(_ word: StaticString) -> Bool {
            guard n == word.utf8CodeUnitCount else { return false }
            let w = word.utf8Start
            for k in 0..<n where p[k] | 0x20 != w[k] { return false }
            return true
        }
        if matches("nan") { return .nan }
        if matches("inf") || matches("infinity") { return negative ? -.infinity : .infinity }
        return nil
    }

    /// Whether the field is an integer literal: an optional sign and one or more digits.
    static func isIntegerText(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        if n > 0 && (p[0] == 0x2D || p[0] == 0x2B) { i = 1 }
        guard i < n else { return false }
        while i < n { guard p[i] &- 0x30 < 10 else { return false }; i &+= 1 }
        return true
    }

    /// Whether the field is an integer literal whose magnitude is above 2^53, so that a
    /// double cannot hold every such integer exactly (`12345678901234567`).
    static func isBigInteger(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard isIntegerText(p, n) else { return false }
        var i = p[0] &- 0x30 < 10 ? 0 : 1
        while i < n - 1 && p[i] == 0x30 { i &+= 1 }
        let digits = n - i
        if digits != 16 { return digits > 16 }
        var v: UInt64 = 0
        while i < n { v = v &* 10 &+ UInt64(p[i] &- 0x30); i &+= 1 }
        return v > 1 << 53
    }

    /// Whether an infinite double parsed from this text came from a number too large for a
    /// double (`1e400`), not from the words `inf` / `infinity`.
    static func isOverflow(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        if n > 0 && (p[0] == 0x2D || p[0] == 0x2B) { i = 1 }
        return i < n && (p[i] &- 0x30 < 10 || p[i] == 0x2E)
    }

    /// `strtod` on a NUL-terminated copy, for long mantissas and large exponents.
    @inline(never)
    private static func slow(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf -> Double? in
            guard let base = buf.baseAddress else { return nil }
            UnsafeMutableRawPointer(base).copyMemory(from: p, byteCount: n)
            base[n] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(base, &end)
            guard let end, end - base == n else { return nil }
            return v
        }
    }

    /// Whether the field equals one of `tokens`.
    @inline(__always)
    static func matchesAny(_ p: UnsafePointer<UInt8>, _ n: Int, _ tokens: [[UInt8]]) -> Bool {
        for t in tokens where t.count == n {
            if n == 0 { return true }
            if t.withUnsafeBufferPointer({ b in b.baseAddress.map { memcmp($0, p, n) == 0 } ?? false }) { return true }
        }
        return false
    }

    @inline(__always)
    static func digits(_ p: UnsafePointer<UInt8>, _ at: Int, _ count: Int) -> Int? {
        var v = 0
        for k in at..<(at + count) {
            let d = p[k] &- 0x30
            if d > 9 { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    /// Days since 1970-01-01 of `y-m-d`, after checking the ranges.
    @inline(__always)
    static func days(_ y: Int, _ m: Int, _ d: Int) -> Int? {
        guard m >= 1 && m <= 12 && d >= 1 && d <= CalendarDate.daysInMonth(year: y, month: m) else { return nil }
        return CalendarDate.days(year: y, month: m, day: d)
    }

    /// An ISO 8601 date `YYYY-MM-DD`.
    @inline(__always)
    static func isoDate(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        guard n == 10, p[4] == 0x2D, p[7] == 0x2D else { return nil }
        let y0 = p[0] &- 0x30, y1 = p[1] &- 0x30, y2 = p[2] &- 0x30, y3 = p[3] &- 0x30
        let m0 = p[5] &- 0x30, m1 = p[6] &- 0x30, d0 = p[8] &- 0x30, d1 = p[9] &- 0x30
        guard y0 <= 9, y1 <= 9, y2 <= 9, y3 <= 9, m0 <= 9, m1 <= 9, d0 <= 9, d1 <= 9 else { return nil }
        let y = Int(y0) &* 1000 &+ Int(y1) &* 100 &+ Int(y2) &* 10 &+ Int(y3)
        let m = Int(m0) &* 10 &+ Int(m1), d = Int(d0) &* 10 &+ Int(d1)
        guard m >= 1 && m <= 12 && d >= 1 && d <= CalendarDate.daysInMonth(year: y, month: m) else { return nil }
        // CalendarDate.days (days from the civil date, proleptic Gregorian), inline; y >= 0.
        let yy = m <= 2 ? y &- 1 : y
        let era = (yy >= 0 ? yy : yy &- 399) / 400
        let yoe = yy &- era &* 400
        let doy = (153 &* ((m &+ 9) % 12) &+ 2) / 5 &+ d &- 1
        let doe = yoe &* 365 &+ yoe / 4 &- yoe / 100 &+ doy
        return Int32(era &* 146_097 &+ doe &- 719_468)
    }

    /// An ISO 8601 timestamp, in microseconds since the epoch (UTC).
    static func isoTimestamp(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        guard n >= 16, p[4] == 0x2D, p[7] == 0x2D, p[10] == UInt8(ascii: "T") || p[10] == UInt8(ascii: " "),
              p[13] == UInt8(ascii: ":"),
              let y = digits(p, 0, 4), let mo = digits(p, 5, 2), let d = digits(p, 8, 2),
              let days = days(y, mo, d), let h = digits(p, 11, 2), let mi = digits(p, 14, 2),
              h < 24, mi < 60 else { return nil }
        var i = 16
        var s = 0, micros = 0
        if i < n && p[i] == UInt8(ascii: ":") {
            guard i + 3 <= n, let sec = digits(p, i + 1, 2), sec < 60 else { return nil }
            s = sec
            i += 3
            if i < n && (p[i] == UInt8(ascii: ".") || p[i] == UInt8(ascii: ",")) {
                guard let (f, next) = fraction(p, i + 1, n) else { return nil }
                micros = f
                i = next
            }
        }
        guard let (offset, end) = zone(p, i, n), end == n else { return nil }
        let secs = Int64(days) * 86_400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset)
        return secs * 1_000_000 + Int64(micros)
    }

    /// 1–9 fraction digits from `at`, as microseconds (truncated), and the index after them.
    static func fraction(_ p: UnsafePointer<UInt8>, _ at: Int, _ n: Int) -> (Int, Int)? {
        var i = at, v = 0, k = 0
        while i < n, p[i] &- 0x30 <= 9 {
            if k < 6 { v = v * 10 + Int(p[i] &- 0x30) }
            k += 1
            i += 1
        }
        guard k >= 1 && k <= 9 else { return nil }
        for _ in min(k, 6)..<6 { v *= 10 }
        return (v, i)
    }

    /// An optional zone designator from `at`: nothing (UTC), `Z`, or `±HH[:MM]` / `±HHMM`;
    /// the offset in seconds east of UTC and the index after it.
    static func zone(_ p: UnsafePointer<UInt8>, _ at: Int, _ n: Int) -> (Int, Int)? {
        if at == n { return (0, n) }
        if p[at] == UInt8(ascii: "Z") { return (0, at + 1) }
        guard p[at] == 0x2B || p[at] == 0x2D, at + 3 <= n, let h = digits(p, at + 1, 2), h <= 23 else { return nil }
        var i = at + 3, m = 0
        if i < n && p[i] == UInt8(ascii: ":") { i += 1 }
        if i + 2 <= n, let mm = digits(p, i, 2) { m = mm; i += 2 } else if i != at + 3 { return nil }
        guard m < 60 else { return nil }
        let off = h * 3600 + m * 60
        return (p[at] == 0x2D ? -off : off, i)
    }
}

/// A parsed `%`-pattern for dates and timestamps.
struct DateTimePattern: Sendable, Hashable {
    enum Piece: Sendable, Hashable { case literal(UInt8), year, month, day, hour, minute, second, fraction, zone }
    let pieces: [Piece]

    init(_ pattern: String) throws(CSVError) {
        var pieces: [Piece] = []
        var it = Array(pattern.utf8).makeIterator()
        while let c = it.next() {
            guard c == UInt8(ascii: "%") else { pieces.append(.literal(c)); continue }
            switch it.next() {
            case UInt8(ascii: "Y"): pieces.append(.year)
            case UInt8(ascii: "m"): pieces.append(.month)
            case UInt8(ascii: "d"): pieces.append(.day)
            case UInt8(ascii: "H"): pieces.append(.hour)
            case UInt8(ascii: "M"): pieces.append(.minute)
            case UInt8(ascii: "S"): pieces.append(.second)
            case UInt8(ascii: "f"): pieces.append(.fraction)
            case UInt8(ascii: "z"): pieces.append(.zone)
            case UInt8(ascii: "%"): pieces.append(.literal(UInt8(ascii: "%")))
            default: throw CSVError(.invalidOption("unknown field in date pattern '\(pattern)'"), file: "<options>")
            }
        }
        self.pieces = pieces
    }

    /// Days since the epoch and microseconds into that day (UTC), or `nil`.
    func parse(_ p: UnsafePointer<UInt8>, _ n: Int) -> (days: Int, micros: Int64)? {
        var i = 0
        var y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0, f = 0, off = 0
        for piece in pieces {
            switch piece {
            case let .literal(c):
                guard i < n, p[i] == c else { return nil }
                i += 1
            case .year:
                guard i + 4 <= n, let v = ByteParsing.digits(p, i, 4) else { return nil }
                y = v; i += 4
            case .month, .day, .hour, .minute, .second:
                guard i + 2 <= n, let v = ByteParsing.digits(p, i, 2) else { return nil }
                switch piece {
                case .month: mo = v
                case .day: d = v
                case .hour: h = v
                case .minute: mi = v
                default: s = v
                }
                i += 2
            case .fraction:
                guard let (v, next) = ByteParsing.fraction(p, i, n) else { return nil }
                f = v; i = next
            case .zone:
                guard i < n, let (o, next) = ByteParsing.zone(p, i, n) else { return nil }
                off = o; i = next
            }
        }
        guard i == n, h < 24, mi < 60, s < 60, let days = ByteParsing.days(y, mo, d) else { return nil }
        return (days, (Int64(h * 3600 + mi * 60 + s) - Int64(off)) * 1_000_000 + Int64(f))
    }
}

/// The value rules of one read, prepared once: tokens as bytes, formats parsed.
struct ValueRules: Sendable {
    let nullTokens: [[UInt8]]
    /// Whether there are null tokens (a stored flag: the hot path asks for every field).
    let hasNullTokens: Bool
    let trueTokens: [[UInt8]]
    let falseTokens: [[UInt8]]
    let datePattern: DateTimePattern?
    let timestampPattern: DateTimePattern?
    /// A number too large for a double is an error (``CSVNumberOverflow/fail``).
    let refusesOverflow: Bool

    init(_ o: CSVReadOptions) throws(CSVError) {
        refusesOverflow = o.numberOverflow == .fail
        nullTokens = o.nullTokens.map { Array($0.utf8) }
        hasNullTokens = !o.nullTokens.isEmpty
        trueTokens = o.trueTokens.map { Array($0.utf8) }
        falseTokens = o.falseTokens.map { Array($0.utf8) }
        if case let .pattern(s) = o.dateFormat { datePattern = try DateTimePattern(s) } else { datePattern = nil }
        if case let .pattern(s) = o.timestampFormat { timestampPattern = try DateTimePattern(s) } else { timestampPattern = nil }
    }

    @inline(__always) func isNull(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        hasNullTokens && ByteParsing.matchesAny(p, n, nullTokens)
    }

    @inline(__always) func bool(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool? {
        if ByteParsing.matchesAny(p, n, trueTokens) { return true }
        if ByteParsing.matchesAny(p, n, falseTokens) { return false }
        return nil
    }

    @inline(__always) func date(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        if let datePattern {
            guard let (d, us) = datePattern.parse(p, n), us == 0 else { return nil }
            return Int32(exactly: d)
        }
        return ByteParsing.isoDate(p, n)
    }

    @inline(__always) func timestamp(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        if let timestampPattern {
            guard let (d, us) = timestampPattern.parse(p, n) else { return nil }
            return Int64(d) * 86_400_000_000 + us
        }
        return ByteParsing.isoTimestamp(p, n)
    }
}
