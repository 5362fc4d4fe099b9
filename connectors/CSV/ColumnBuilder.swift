import SluiceFrame

/// Accumulates one column while parsing: infers its type (Int64 → Double → String, Date →
/// Timestamp, Bool; anything else makes it a String), or parses a type it is given.
///
/// When a column must become a string after non-string values were parsed, their text is
/// gone: the builder sets ``lossy`` and the reader parses the file again with the final
/// types. Values never end up half one type and half another.
struct ColumnBuilder {
    enum Kind: UInt8 { case empty, int64, double, bool, date, timestamp, string }

    var kind: Kind
    /// Whether the kind was given (no inference).
    let fixed: Bool
    var count = 0
    var f64 = RawColumn<Double>()
    var i64 = RawColumn<Int64>()
    /// Dates (days) or string codes.
    var i32 = RawColumn<Int32>()
    var b = RawColumn<Bool>()
    var words: [UInt64] = []
    var hasNulls = false
    var nullCount = 0
    var sawNull = false
    var dict = ByteDictionary()
    /// A non-string column turned into a string one after values were stored.
    var lossy = false
    /// The first value too large for a double (row index in this builder, and its text), and
    /// how many there were (``CSVNumberOverflow``).
    var overflowRow = -1
    var overflowText = ""
    var overflowCount = 0
    /// The last refused value was an overflow (strict numbers), not a wrong type.
    var refusedOverflow = false
    var reserve: Int

    init(kind: Kind, fixed: Bool, reserve: Int) {
        self.kind = kind
        self.fixed = fixed
        self.reserve = reserve
        reserveStorage(for: kind)
    }

    static func kind(_ t: ColumnType) -> Kind {
        switch t {
        case .double: .double
        case .int64: .int64
        case .string: .string
        case .bool: .bool
        case .date: .date
        case .timestamp: .timestamp
        }
    }

    var columnType: ColumnType {
        switch kind {
        case .empty, .string: .string
        case .int64: .int64
        case .double: .double
        case .bool: .bool
        case .date: .date
        case .timestamp: .timestamp
        }
    }

    private mutating func reserveStorage(for k: Kind) {
        switch k {
        case .empty: break
        case .int64, .timestamp: i64.reserve(reserve)
        case .double: f64.reserve(reserve)
        case .bool: b.reserve(reserve)
        case .date, .string: i32.reserve(reserve)
        }
    }

    @inline(__always) private mutating func markValid() {
        if hasNulls && (count &>> 6) >= words.count { words.append(~0) }
        count &+= 1
    }

    @inline(never)
    mutating func appendNull() {
        if !hasNulls {
            hasNulls = true
            words = [UInt64](repeating: ~0, count: (count &>> 6) &+ 1)
            words.reserveCapacity(reserve / 64 + 1)
        }
        while (count &>> 6) >= words.count { words.append(~0) }
        words[count &>> 6] &= ~(1 &<< UInt64(count & 63))
        nullCount &+= 1
        sawNull = true
        switch kind {
        case .empty: break
        case .int64, .timestamp: i64.append(0)
        case .double: f64.append(.nan)
        case .bool: b.append(false)
        case .date: i32.append(0)
        case .string: i32.append(-1)
        }
        count &+= 1
    }

    /// Appends one field (`nil` is null). Returns `false` when the column's type is fixed and
    /// the text is not a value of it. The common cases are inline; the rest (other kinds,
    /// inference's first value and promotions) are in ``appendOther(_:_:_:)``.
    @inline(__always)
    mutating func append(_ p: UnsafePointer<UInt8>?, _ n: Int, _ rules: ValueRules) -> Bool {
        guard let p else { appendNull(); return true }
        if rules.isNull(p, n) { appendNull(); return true }
        switch kind {
        case .double:
            if let v = ByteParsing.double(p, n, leadingZeros: fixed) {
                // Rare: 16+ characters (maybe an integer a double cannot hold) or infinite.
                if n >= 16 || v.isInfinite {
                    switch unusualDouble(p, n, v, rules) {
                    case .accept: break
                    case .refuse: return false
                    case .text: return appendOther(p, n, rules)
                    }
                }
                f64.append(v); markValid(); return true
            }
        case .int64:
            if let v = ByteParsing.int64(p, n, leadingZeros: fixed) { i64.append(v); markValid(); return true }
        case .string:
            i32.append(dict.intern(p, n)); markValid(); return true
        case .date:
            if rules.datePattern == nil, let v = ByteParsing.isoDate(p, n) { i32.append(v); markValid(); return true }
        default:
            break
        }
        return appendOther(p, n, rules)
    }

    /// Appends a non-null field the inline cases did not take.
    @inline(never)
    mutating func appendOther(_ p: UnsafePointer<UInt8>, _ n: Int, _ rules: ValueRules) -> Bool {
        switch kind {
        case .double:
            break  // not a double (the inline case tried): text, unless the type is fixed
        case .int64:
            // An integer past Int64 (9223372036854775808) is not made a double, which would
            // change its digits (and those of stored integers past 2^53): the column becomes
            // text below. Likewise a non-integer after stored integers past 2^53.
            if !fixed, !ByteParsing.isIntegerText(p, n), let v = ByteParsing.double(p, n, leadingZeros: false),
               !exceedsDoublePrecision {
                if v.isInfinite && !noteInfinity(p, n, rules) { return false }
                promote(to: .double)
                f64.append(v); markValid(); return true
            }
        case .string:
            i32.append(dict.intern(p, n)); markValid(); return true
        case .bool:
            if let v = rules.bool(p, n) { b.append(v); markValid(); return true }
        case .date:
            if let v = rules.date(p, n) { i32.append(v); markValid(); return true }
            if !fixed, let v = rules.timestamp(p, n) {
                promote(to: .timestamp)
                i64.append(v); markValid(); return true
            }
        case .timestamp:
            if let v = rules.timestamp(p, n) { i64.append(v); markValid(); return true }
            if let d = rules.date(p, n) { i64.append(Int64(d) * 86_400_000_000); markValid(); return true }
        case .empty:
            return appendFirst(p, n, rules)
        }
        if fixed { return false }
        promote(to: .string)
        i32.append(dict.intern(p, n)); markValid()
        return true
    }

    /// The first non-null value decides the kind.
    @inline(never)
    private mutating func appendFirst(_ p: UnsafePointer<UInt8>, _ n: Int, _ rules: ValueRules) -> Bool {
        if let v = ByteParsing.int64(p, n, leadingZeros: false) {
            promote(to: .int64); i64.append(v)
        } else if !ByteParsing.isIntegerText(p, n), let v = ByteParsing.double(p, n, leadingZeros: false) {
            if v.isInfinite && !noteInfinity(p, n, rules) { return false }
            promote(to: .double); f64.append(v)
        } else if let v = rules.bool(p, n) {
            promote(to: .bool); b.append(v)
        } else if let v = rules.date(p, n) {
            promote(to: .date); i32.append(v)
        } else if let v = rules.timestamp(p, n) {
            promote(to: .timestamp); i64.append(v)
        } else {
            promote(to: .string); i32.append(dict.intern(p, n))
        }
        markValid()
        return true
    }

    enum UnusualDouble { case accept, refuse, text }

    /// A double from 16+ characters or an infinite one: a 16+ digit integer a double cannot
    /// hold exactly makes an inferred column text (``appendOther(_:_:_:)``); an overflow to
    /// infinity is counted, or refused in strict-number mode.
    @inline(never)
    mutating func unusualDouble(_ p: UnsafePointer<UInt8>, _ n: Int, _ v: Double, _ rules: ValueRules) -> UnusualDouble {
        if !fixed && ByteParsing.isBigInteger(p, n) { return .text }
        if v.isInfinite && !noteInfinity(p, n, rules) { return .refuse }
        return .accept
    }

    /// Whether a stored integer is past ±2^53, where doubles no longer hold every integer.
    var exceedsDoublePrecision: Bool {
        guard kind == .int64 else { return false }
        let bound: Int64 = 1 << 53
        for i in 0..<count where isValid(i) && (i64[i] > bound || i64[i] < -bound) { return true }
        return false
    }

    /// An infinite double was parsed from `p`: counts it when it is an overflow (`1e400`, not
    /// `inf`); returns `false` when overflows are refused.
    @inline(never)
    mutating func noteInfinity(_ p: UnsafePointer<UInt8>, _ n: Int, _ rules: ValueRules) -> Bool {
        guard ByteParsing.isOverflow(p, n) else { return true }
        if rules.refusesOverflow { refusedOverflow = true; return false }
        if overflowRow < 0 {
            overflowRow = count
            overflowText = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
        }
        overflowCount &+= 1
        return true
    }

    /// Changes the kind, converting stored values (nulls keep their placeholders).
    @inline(never)
    mutating func promote(to new: Kind) {
        if new == kind { return }
        let old = kind
        kind = new
        switch (old, new) {
        case (.empty, _):
            reserveStorage(for: new)
            switch new {
            case .int64, .timestamp: i64.append(repeating: 0, count: count)
            case .double: f64.append(repeating: .nan, count: count)
            case .bool: b.append(repeating: false, count: count)
            case .date: i32.append(repeating: 0, count: count)
            case .string: i32.append(repeating: -1, count: count)
            case .empty: break
            }
        case (.int64, .double):
            f64.reserve(Swift.max(reserve, count))
            for i in 0..<count { f64.append(isValid(i) ? Double(i64[i]) : .nan) }
            i64.release()
        case (.date, .timestamp):
            i64.reserve(Swift.max(reserve, count))
            for i in 0..<count { i64.append(Int64(i32[i]) * 86_400_000_000) }
            i32.release()
        default:
            // To string with earlier values: their text is lost; the reader parses again.
            if count > nullCount { lossy = true }
            f64.release(); i64.release(); b.release(); i32.release()
            i32.reserve(Swift.max(reserve, count))
            i32.append(repeating: -1, count: count)
        }
    }

    @inline(__always) func isValid(_ i: Int) -> Bool {
        !hasNulls || words[i &>> 6] & (1 &<< UInt64(i & 63)) != 0
    }

    /// Drops stored values, keeping the kind and flags (for a types-only pass).
    mutating func discardValues() {
        count = 0; nullCount = 0; hasNulls = false
        words = []
        release()
        dict.removeAll()
    }

    /// Frees the value buffers (the builder's owner calls this once).
    mutating func release() {
        f64.release(); i64.release(); i32.release(); b.release()
    }

    /// Removes the last `k` rows (lenient reads roll back a row found bad mid-way).
    mutating func removeLast(_ k: Int) {
        guard k > 0 else { return }
        for i in (count - k)..<count where !isValid(i) {
            nullCount -= 1
            words[i &>> 6] |= 1 &<< UInt64(i & 63)
        }
        count -= k
        switch kind {
        case .empty: break
        case .int64, .timestamp: i64.removeLast(k)
        case .double: f64.removeLast(k)
        case .bool: b.removeLast(k)
        case .date, .string: i32.removeLast(k)
        }
    }
}

/// Kinds of one column seen by several chunks, unified.
enum KindLattice {
    /// The kind that holds both, and whether text was lost getting there (the stored values
    /// of `b`'s side cannot be converted).
    static func join(_ a: ColumnBuilder.Kind, _ b: ColumnBuilder.Kind) -> ColumnBuilder.Kind {
        if a == b { return a }
        if a == .empty { return b }
        if b == .empty { return a }
        let pair = Set([a, b])
        if pair == [.int64, .double] { return .double }
        if pair == [.date, .timestamp] { return .timestamp }
        return .string
    }
}
