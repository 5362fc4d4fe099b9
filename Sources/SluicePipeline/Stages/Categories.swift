import SluiceFrame

/// Category handling shared by the encoders: the types they take, the fitted categories
/// of a column sorted as scikit-learn sorts them, and each row's index into a fitted list.
///
/// Categories are kept as text: a string as it is, an `int64` by its decimal digits, a
/// `bool` as `false`/`true`. They sort numerically for `int64` columns and by Unicode code
/// point (UTF-8 bytes, as Python sorts `str`) otherwise. Work is done once per distinct
/// value (a string column's dictionary), then once per row on integer codes.
enum Categories {
    /// A row's code for a null value.
    static let null: Int32 = -1
    /// A row's code for a value not among the fitted categories.
    static let unknown: Int32 = -2

    /// Resolves `selector` and checks each chosen column is `string`, `bool` or `int64`.
    static func columns(_ selector: ColumnSelector, in schema: Schema, stage: String) throws -> [String] {
        try selector.resolve(in: schema, stage: stage, accepting: categoryTypes.contains, expected: "string, bool or int64")
    }

    /// Whether `a` sorts before `b` as Python sorts `str` (by code point).
    static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    /// The distinct non-null values of `c`, sorted, and each row's index into them
    /// (``null`` for a null row).
    static func fit(_ c: Column) -> (categories: [String], codes: [Int32]) {
        let v = c.validity
        switch c.data {
        case .string(let s):
            var used = [Bool](repeating: false, count: s.dictionary.count)
            for (i, code) in s.codes.enumerated() where code >= 0 && v.isValid(i) { used[Int(code)] = true }
            let distinct = Array(Set(s.dictionary.indices.filter { used[$0] }.map { s.dictionary[$0] }))
                .sorted(by: precedes)
            let index = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, Int32($0)) })
            let slot = s.dictionary.map { index[$0] ?? unknown }
            return (distinct, s.codes.indices.map { i in
                let code = s.codes[i]
                return code >= 0 && v.isValid(i) ? slot[Int(code)] : null
            })
        case .int64(let a):
            var seen = Set<Int64>()
            for i in a.indices where v.isValid(i) { seen.insert(a[i]) }
            let distinct = seen.sorted()
            let index = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, Int32($0)) })
            return (distinct.map { String($0) }, a.indices.map { v.isValid($0) ? index[a[$0]] ?? unknown : null })
        case .bool(let a):
            var seen = (false, false)
            for i in a.indices where v.isValid(i) { if a[i] { seen.1 = true } else { seen.0 = true } }
            let distinct = (seen.0 ? ["false"] : []) + (seen.1 ? ["true"] : [])
            let f: Int32 = seen.0 ? 0 : unknown, t: Int32 = seen.0 ? 1 : 0
            return (distinct, a.indices.map { v.isValid($0) ? (a[$0] ? t : f) : null })
        default:
            return ([], [Int32](repeating: null, count: c.count))
        }
    }

    /// Each row's index into `categories` (fitted by ``fit(_:)``): ``null`` for a null row,
    /// ``unknown`` for a value not among them.
    static func lookup(_ c: Column, in categories: [String]) -> [Int32] {
        let v = c.validity
        let index = Dictionary(categories.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { a, _ in a })
        switch c.data {
        case .string(let s):
            let slot = s.dictionary.map { index[$0] ?? unknown }
            return s.codes.indices.map { i in
                let code = s.codes[i]
                return code >= 0 && v.isValid(i) ? slot[Int(code)] : null
            }
        case .int64(let a):
            var numeric = [Int64: Int32]()
            for (k, i) in index { if let x = Int64(k) { numeric[x] = i } }
            return a.indices.map { v.isValid($0) ? numeric[a[$0]] ?? unknown : null }
        case .bool(let a):
            let f = index["false"] ?? unknown, t = index["true"] ?? unknown
            return a.indices.map { v.isValid($0) ? (a[$0] ? t : f) : null }
        default:
            return [Int32](repeating: null, count: c.count)
        }
    }

    /// Each row's category text (`nil` for null), for hashing: `"column=value"` is built from it.
    static func text(_ c: Column) -> (distinct: [String], codes: [Int32]) {
        let v = c.validity
        switch c.data {
        case .string(let s):
            return (s.dictionary, s.codes.indices.map { s.codes[$0] >= 0 && v.isValid($0) ? s.codes[$0] : null })
        case .bool(let a):
            return (["false", "true"], a.indices.map { v.isValid($0) ? (a[$0] ? 1 : 0) : null })
        case .int64(let a):
            var index = [Int64: Int32](), distinct = [String]()
            let codes = a.indices.map { i -> Int32 in
                guard v.isValid(i) else { return null }
                if let k = index[a[i]] { return k }
                let k = Int32(distinct.count)
                index[a[i]] = k
                distinct.append(String(a[i]))
                return k
            }
            return (distinct, codes)
        default:
            return ([], [Int32](repeating: null, count: c.count))
        }
    }
}

/// MurmurHash3 (x86, 32-bit) of bytes: the stable hash of ``FeatureHasher`` and
/// ``HashingVectorizer``, the same function scikit-learn hashes features with
/// (`sklearn.utils.murmurhash3_32`), so hashed columns agree with it and never change
/// between runs, machines or Swift versions (unlike Swift's seeded `Hasher`).
enum Murmur3 {
    /// The 32-bit hash of `bytes` with `seed`, as a signed integer (scikit-learn's
    /// `positive=False`).
    static func hash<C: Collection>(_ bytes: C, seed: UInt32 = 0) -> Int32 where C.Element == UInt8 {
        let c1: UInt32 = 0xcc9e_2d51, c2: UInt32 = 0x1b87_3593
        var h = seed, k: UInt32 = 0, shift: UInt32 = 0, length: UInt32 = 0
        @inline(__always) func mixK(_ k: UInt32) -> UInt32 {
            var k = k &* c1
            k = (k << 15) | (k >> 17)
            return k &* c2
        }
        for b in bytes {
            k |= UInt32(b) << shift
            shift += 8
            length &+= 1
            if shift == 32 {
                h ^= mixK(k)
                h = (h << 13) | (h >> 19)
                h = h &* 5 &+ 0xe654_6b64
                k = 0
                shift = 0
            }
        }
        if shift > 0 { h ^= mixK(k) }
        h ^= length
        h ^= h >> 16
        h = h &* 0x85eb_ca6b
        h ^= h >> 13
        h = h &* 0xc2b2_ae35
        h ^= h >> 16
        return Int32(bitPattern: h)
    }

    /// The column `hash` falls in among `n` (scikit-learn's `abs(h) % n`, with
    /// `abs(Int32.min)` defined as scikit-learn defines it) and its sign (`h ≥ 0`: +1).
    static func bucket(_ h: Int32, of n: Int) -> (index: Int, sign: Double) {
        let index = h == Int32.min ? (Int(Int32.max) - (n - 1)) % n : Int(abs(h)) % n
        return (index, h >= 0 ? 1 : -1)
    }
}
