/// Which rows of a column hold a value (valid) and which are null: one bit per row.
///
/// A mask with no nulls stores no bits at all. Null is not `NaN`: a `Double` column can
/// hold `NaN` in a valid row.
public struct ValidityMask: Sendable, Hashable {
    /// Bit `i % 64` of word `i / 64` is 1 when row `i` is valid; `nil` when every row is.
    public private(set) var words: [UInt64]?
    /// The number of rows.
    public private(set) var count: Int
    /// The number of null rows.
    public private(set) var nullCount: Int

    /// A mask of `count` valid rows.
    public init(allValid count: Int) {
        self.count = count
        self.nullCount = 0
        self.words = nil
    }

    /// A mask of `count` null rows.
    public init(allNull count: Int) {
        self.count = count
        self.nullCount = count
        self.words = count == 0 ? nil : [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    /// A mask from one flag per row, `true` meaning valid.
    public init<S: Sequence>(valid flags: S) where S.Element == Bool {
        var words: [UInt64] = []
        var count = 0, nulls = 0
        var word: UInt64 = 0
        for f in flags {
            if f { word |= 1 &<< UInt64(count & 63) } else { nulls += 1 }
            count += 1
            if count & 63 == 0 { words.append(word); word = 0 }
        }
        if count & 63 != 0 { words.append(word) }
        self.count = count
        self.nullCount = nulls
        self.words = nulls == 0 ? nil : words
    }

    /// A mask from packed words (bit 1 = valid); bits past `count` are ignored.
    public init(words: [UInt64], count: Int) {
        precondition(words.count >= (count + 63) / 64, "too few words for \(count) rows")
        var w = Array(words.prefix((count + 63) / 64))
        if count & 63 != 0, !w.isEmpty { w[w.count - 1] &= (1 &<< UInt64(count & 63)) &- 1 }
        let valid = w.reduce(0) { $0 + $1.nonzeroBitCount }
        self.count = count
        self.nullCount = count - valid
        self.words = count - valid == 0 ? nil : w
    }

    /// Whether row `i` holds a value.
    @inlinable public func isValid(_ i: Int) -> Bool {
        guard let words else { return true }
        return words[i &>> 6] & (1 &<< UInt64(i & 63)) != 0
    }

    /// Whether row `i` is null.
    @inlinable public func isNull(_ i: Int) -> Bool { !isValid(i) }

    /// Whether the mask has any null.
    public var hasNulls: Bool { nullCount > 0 }

    /// Appends one row.
    public mutating func append(valid: Bool) {
        if !valid && words == nil { words = [UInt64](repeating: ~0, count: (count + 63) / 64); clearTail() }
        if words != nil {
            if count & 63 == 0 { words!.append(0) }
            if valid { words![count &>> 6] |= 1 &<< UInt64(count & 63) }
        }
        if !valid { nullCount += 1 }
        count += 1
    }

    private mutating func clearTail() {
        if count & 63 != 0, let n = words?.count, n > 0 { words![n - 1] &= (1 &<< UInt64(count & 63)) &- 1 }
    }

    /// The rows at `indices`, in that order.
    public func taking<C: Collection>(_ indices: C) -> ValidityMask where C.Element == Int {
        guard words != nil else { return ValidityMask(allValid: indices.count) }
        return ValidityMask(valid: indices.lazy.map { isValid($0) })
    }

    /// Rows `range`.
    public func slice(_ range: Range<Int>) -> ValidityMask {
        guard words != nil else { return ValidityMask(allValid: range.count) }
        return ValidityMask(valid: range.lazy.map { isValid($0) })
    }

    /// This mask followed by `other`.
    public func appending(_ other: ValidityMask) -> ValidityMask {
        if words == nil && other.words == nil { return ValidityMask(allValid: count + other.count) }
        return ValidityMask(valid: (0..<count).lazy.map { isValid($0) } + (0..<other.count).lazy.map { other.isValid($0) })
    }
}
