import Glibc
import SluiceFrame

/// How one result column's binary values are decoded.
enum DecodeKind: Sendable, Equatable {
    case int2, int4, int8, oid, float4, float8, numeric, bool, text, uuid, date, timestamp

    init?(oid: UInt32) {
        switch oid {
        case PostgresType.int2: self = .int2
        case PostgresType.int4: self = .int4
        case PostgresType.int8: self = .int8
        case PostgresType.oid: self = .oid
        case PostgresType.float4: self = .float4
        case PostgresType.float8: self = .float8
        case PostgresType.numeric: self = .numeric
        case PostgresType.bool: self = .bool
        case PostgresType.text, PostgresType.varchar, PostgresType.bpchar, PostgresType.name: self = .text
        case PostgresType.uuid: self = .uuid
        case PostgresType.date: self = .date
        case PostgresType.timestamp, PostgresType.timestamptz: self = .timestamp
        default: return nil
        }
    }

    var columnType: ColumnType {
        switch self {
        case .int2, .int4, .int8, .oid: .int64
        case .float4, .float8, .numeric: .double
        case .bool: .bool
        case .text, .uuid: .string
        case .date: .date
        case .timestamp: .timestamp
        }
    }

    /// The byte length of a fixed-size value, or `nil` for variable length.
    var fixedLength: Int? {
        switch self {
        case .int2: 2
        case .int4, .oid, .float4, .date: 4
        case .int8, .float8, .timestamp: 8
        case .bool: 1
        case .uuid: 16
        case .numeric, .text: nil
        }
    }
}

/// A value's bytes that do not fit its type (a protocol error, never expected from a server).
struct DecodeFailure: Error {
    var column: Int
    var reason: String
}

/// The values of one column decoded so far, appended in place (the state lives behind an
/// `UnsafeMutablePointer`, so the hot loop has no copy-on-write or exclusivity checks).
struct ColumnState {
    let kind: DecodeKind
    var doubles: [Double] = []
    var ints: [Int64] = []
    var int32s: [Int32] = []
    var bools: [Bool] = []
    var dictionary = ByteDictionary()
    /// Validity words completed so far; `word` holds the current one.
    var words: [UInt64] = []
    var word: UInt64 = 0
    var count = 0
    var nulls = 0

    init(kind: DecodeKind) { self.kind = kind }

    mutating func reserve(_ rows: Int) {
        switch kind {
        case .int2, .int4, .int8, .oid: ints.reserveCapacity(rows)
        case .float4, .float8, .numeric: doubles.reserveCapacity(rows)
        case .bool: bools.reserveCapacity(rows)
        case .text, .uuid, .date: int32s.reserveCapacity(rows)
        case .timestamp: ints.reserveCapacity(rows)
        }
        words.reserveCapacity(rows / 64 + 1)
    }

    @inline(__always) private mutating func advance(valid: Bool) {
        if valid { word |= 1 &<< UInt64(count & 63) } else { nulls &+= 1 }
        count &+= 1
        if count & 63 == 0 { words.append(word); word = 0 }
    }

    @inline(__always) mutating func appendNull() {
        switch kind {
        case .int2, .int4, .int8, .oid, .timestamp: ints.append(0)
        case .float4, .float8, .numeric: doubles.append(.nan)
        case .bool: bools.append(false)
        case .text, .uuid: int32s.append(-1)
        case .date: int32s.append(0)
        }
        advance(valid: false)
    }

    /// Decodes one non-null value of `n` bytes at `p` (the caller checked fixed lengths).
    @inline(__always) mutating func decode(_ p: UnsafeRawPointer, _ n: Int) {
        switch kind {
        case .int8: ints.append(Int64(bigEndian: p.loadUnaligned(as: Int64.self)))
        case .float8: doubles.append(Double(bitPattern: UInt64(bigEndian: p.loadUnaligned(as: UInt64.self))))
        case .text: int32s.append(dictionary.intern(p.assumingMemoryBound(to: UInt8.self), n))
        case .int4: ints.append(Int64(Int32(bigEndian: p.loadUnaligned(as: Int32.self))))
        case .int2: ints.append(Int64(Int16(bigEndian: p.loadUnaligned(as: Int16.self))))
        case .oid: ints.append(Int64(UInt32(bigEndian: p.loadUnaligned(as: UInt32.self))))
        case .float4: doubles.append(Double(Float(bitPattern: UInt32(bigEndian: p.loadUnaligned(as: UInt32.self)))))
        case .numeric: doubles.append(NumericDecoding.double(p, n))
        case .bool: bools.append(p.load(as: UInt8.self) != 0)
        case .date:
            let d = Int32(bigEndian: p.loadUnaligned(as: Int32.self))
            int32s.append(d == .max || d == .min ? d : d &+ PostgresType.epochDays)
        case .timestamp:
            let t = Int64(bigEndian: p.loadUnaligned(as: Int64.self))
            ints.append(t == .max || t == .min ? t : t &+ PostgresType.epochMicroseconds)
        case .uuid:
            let code = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { out -> Int32 in
                UUIDFormatting.format(p, into: out.baseAddress!)
                return dictionary.intern(UnsafePointer(out.baseAddress!), 36)
            }
            int32s.append(code)
        }
        advance(valid: true)
    }

    /// Whether `n` bytes is a valid length for this column's values (checked before decoding).
    @inline(__always) func accepts(length n: Int) -> Bool {
        switch kind {
        case .text: true
        case .numeric: n >= 8
        case .int8, .float8, .timestamp: n == 8
        case .int4, .oid, .float4, .date: n == 4
        case .int2: n == 2
        case .bool: n == 1
        case .uuid: n == 16
        }
    }

    /// The column decoded so far; the state is emptied for the next batch.
    mutating func take() -> Column {
        var finalWords = words
        if count & 63 != 0 { finalWords.append(word) }
        let validity = nulls == 0 ? ValidityMask(allValid: count) : ValidityMask(words: finalWords, count: count)
        let data: ColumnData
        switch kind {
        case .int2, .int4, .int8, .oid: data = .int64(ints); ints = []
        case .timestamp: data = .timestamp(ints); ints = []
        case .float4, .float8, .numeric: data = .double(doubles); doubles = []
        case .bool: data = .bool(bools); bools = []
        case .date: data = .date(int32s); int32s = []
        case .text, .uuid:
            var strings: [String] = []
            strings.reserveCapacity(dictionary.count)
            dictionary.withEntries { strings.append(String(decoding: $0, as: UTF8.self)) }
            data = .string(StringColumn(codes: int32s, dictionary: strings))
            int32s = []
            dictionary = ByteDictionary()
        }
        words = []
        word = 0
        count = 0
        nulls = 0
        return Column(data, validity: validity)
    }
}

/// `numeric`'s binary form (int16 ndigits, int16 weight, uint16 sign, int16 dscale, then
/// ndigits base-10000 digits) to the nearest `Double`.
enum NumericDecoding {
    static func double(_ p: UnsafeRawPointer, _ n: Int) -> Double {
        func int16(_ offset: Int) -> Int { Int(Int16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: Int16.self))) }
        let ndigits = int16(0), weight = int16(2)
        let sign = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        switch sign {
        case 0xC000: return .nan
        case 0xD000: return .infinity
        case 0xF000: return -.infinity
        default: break
        }
        guard ndigits > 0, n >= 8 + 2 * ndigits else { return 0 }
        let negative = sign == 0x4000
        // Exact fast path: an integer below 2^53 scaled by an exact power of ten is rounded once.
        if ndigits <= 4 {
            var integer: Int64 = 0
            for i in 0..<ndigits { integer = integer * 10_000 + Int64(int16(8 + 2 * i)) }
            let exponent = 4 * (weight - ndigits + 1)
            if integer < (1 << 53), abs(exponent) <= 22 {
                let scale = powersOfTen[abs(exponent)]
                let magnitude = exponent >= 0 ? Double(integer) * scale : Double(integer) / scale
                return negative ? -magnitude : magnitude
            }
        }
        // Otherwise: the decimal digits and an exponent, through strtod (correctly rounded).
        let capacity = 4 * ndigits + 16
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer -> Double in
            var i = 0
            if negative { buffer[i] = 0x2D; i += 1 }
            for d in 0..<ndigits {
                var digit = int16(8 + 2 * d)
                for k in stride(from: 3, through: 0, by: -1) {
                    buffer[i + k] = CChar(0x30 + digit % 10)
                    digit /= 10
                }
                i += 4
            }
            buffer[i] = 0x65; i += 1  // 'e'
            for byte in String(4 * (weight - ndigits + 1)).utf8 { buffer[i] = CChar(bitPattern: byte); i += 1 }
            buffer[i] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }

    private static let powersOfTen: [Double] = (0...22).map { pow10($0) }
    private static func pow10(_ k: Int) -> Double { var v = 1.0; for _ in 0..<k { v *= 10 }; return v }
}

/// A uuid's 16 bytes as 36 lower-case characters `8-4-4-4-12`.
enum UUIDFormatting {
    static func format(_ p: UnsafeRawPointer, into out: UnsafeMutablePointer<UInt8>) {
        let hex: StaticString = "0123456789abcdef"
        hex.withUTF8Buffer { digits in
            var o = 0
            for i in 0..<16 {
                if i == 4 || i == 6 || i == 8 || i == 10 { out[o] = UInt8(ascii: "-"); o += 1 }
                let b = p.load(fromByteOffset: i, as: UInt8.self)
                out[o] = digits[Int(b >> 4)]
                out[o + 1] = digits[Int(b & 15)]
                o += 2
            }
        }
    }
}
