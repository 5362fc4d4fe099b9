import Foundation
import SluiceFrame

/// A column of an existing target table, as the catalog describes it.
struct TargetColumn: Sendable, Equatable {
    var name: String
    var oid: UInt32
    var typmod: Int32
    /// `format_type(atttypid, atttypmod)`: `integer`, `numeric(10,2)`, `character varying(3)`.
    var sqlType: String
}

/// How one frame column reaches its target column.
enum ColumnRoute: Equatable {
    /// COPY's binary form as is.
    case direct
    /// Converted in Swift, losslessly, to a column COPY sends as is (date ↔ timestamp).
    case converted(Column)
    /// Through a staging table and a cast to the target type on the server, after every
    /// value was checked to survive it (or, for text, parsed by the target type's input).
    case cast
}

extension PostgresConnection {
    /// PostgreSQL's limit on the columns of a table (`MaxHeapAttributeNumber`).
    public static let maximumColumns = 1600

    /// How each frame column reaches the existing table: direct, converted or cast, after
    /// checking that no value changes on the way. A conversion that would change a value (a
    /// fraction into an integer column, a time of day into a date, a number past a column's
    /// range or precision) or that has no meaning (a number into a boolean) is refused,
    /// naming the column, both types and the first row that would change.
    func routes(for frame: Frame, into columns: [String: TargetColumn], table: TableName,
                operation: String) throws(PostgresError) -> [ColumnRoute] {
        var routes: [ColumnRoute] = []
        for (index, field) in frame.schema.fields.enumerated() {
            guard let target = columns[field.name] else { routes.append(.direct); continue }
            let column = frame.columns[index]
            func refuse(_ reason: String, row: Int? = nil) -> PostgresError {
                var text = "column '\(field.name)' is \(target.sqlType) in table \(table), the input's is \(field.type)"
                if let row { text += "; row \(row + 1) holds \(column[row]), which \(reason)" } else { text += ": \(reason)" }
                return PostgresError(.schema, operation: operation, message: text, sqlState: "42804",
                                     table: table.description, column: field.name, row: row)
            }
            if PostgresType.acceptsBinary(target.oid, from: field.type) { routes.append(.direct); continue }
            let oid = target.oid
            switch (column.data, oid) {
            case (_, PostgresType.text), (_, PostgresType.varchar), (_, PostgresType.bpchar):
                // Every value has one text form (a double's is its shortest exact one).
                routes.append(.cast)
            case let (.double(values), PostgresType.int2), let (.double(values), PostgresType.int4), let (.double(values), PostgresType.int8):
                let (low, high): (Double, Double) = oid == PostgresType.int2 ? (-32768, 32768)
                    : oid == PostgresType.int4 ? (-2147483648, 2147483648) : (-9223372036854775808, 9223372036854775808)
                if let row = firstRow(values, column.validity, where: { !($0 >= low && $0 < high && $0.rounded(.towardZero) == $0) }) {
                    throw refuse(values[row].isFinite && values[row] >= low && values[row] < high
                                 ? "is not a whole number and would be rounded" : "is out of its range", row: row)
                }
                routes.append(.cast)
            case let (.double(values), PostgresType.float4):
                if let row = firstRow(values, column.validity, where: { !$0.isNaN && Double(Float($0)) != $0 }) {
                    throw refuse("a real (single precision) cannot hold exactly", row: row)
                }
                routes.append(.cast)
            case let (.double(values), PostgresType.numeric):
                let scale: Int? = target.typmod >= 4 ? Int((target.typmod - 4) & 0xFFFF) : nil
                if let row = firstRow(values, column.validity, where: { v in
                    guard v.isFinite else { return scale != nil }   // NaN/±Infinity fit unconstrained numeric only
                    // float8 → numeric keeps 15 significant digits (DBL_DIG), then the column's scale.
                    let text = String(format: "%.15g", v)
                    guard Double(text) == v else { return true }
                    if let scale { return Double(String(format: "%.\(scale)f", v)) != v }
                    return false
                }) {
                    throw refuse("would be rounded on the way to \(target.sqlType)", row: row)
                }
                routes.append(.cast)
            case let (.int64(values), PostgresType.int2), let (.int64(values), PostgresType.int4):
                let (low, high): (Int64, Int64) = oid == PostgresType.int2 ? (-32768, 32767) : (-2147483648, 2147483647)
                if let row = firstRow(values, column.validity, where: { $0 < low || $0 > high }) {
                    throw refuse("is out of its range", row: row)
                }
                routes.append(.cast)
            case let (.int64(values), PostgresType.float8), let (.int64(values), PostgresType.float4):
                let single = oid == PostgresType.float4
                if let row = firstRow(values, column.validity, where: { v in
                    single ? Int64(exactly: Float(v)) != v : Int64(exactly: Double(v)) != v
                }) {
                    throw refuse("a floating-point column cannot hold exactly", row: row)
                }
                routes.append(.cast)
            case (.int64, PostgresType.numeric):
                routes.append(.cast)   // exact; a precision overflow is the server's error
            case (.string, _):
                // The target type's own input function reads the text (numeric keeps its digits).
                routes.append(.cast)
            case let (.date(days), PostgresType.timestamp), let (.date(days), PostgresType.timestamptz):
                // Midnight UTC, as Sluice reads timestamps; ±infinity stay infinite.
                let micros = days.map { d -> Int64 in d == .max ? .max : d == .min ? .min : Int64(d) * 86_400_000_000 }
                routes.append(.converted(Column(.timestamp(micros), validity: column.validity)))
            case let (.timestamp(micros), PostgresType.date):
                if let row = firstRow(micros, column.validity, where: { $0 != .max && $0 != .min && $0 % 86_400_000_000 != 0 }) {
                    throw refuse("has a time of day that a date would drop", row: row)
                }
                let days = micros.map { t -> Int32 in
                    t == .max ? .max : t == .min ? .min : Int32(clamping: t.dividingFloorBy(86_400_000_000))
                }
                routes.append(.converted(Column(.date(days), validity: column.validity)))
            default:
                throw refuse("a \(field.type) value has no meaning in that type (cast the input, or load it into a new table)")
            }
        }
        return routes
    }

    /// The first valid row whose value meets `condition`.
    private func firstRow<T>(_ values: [T], _ validity: ValidityMask, where condition: (T) -> Bool) -> Int? {
        values.withUnsafeBufferPointer { b in
            for i in 0..<b.count where condition(b[i]) && validity.isValid(i) { return i }
            return nil
        }
    }

    /// Throws when two rows of `frame` have the same values in `keys` (an upsert can take
    /// each key once), naming the key and both rows; nulls count as values here.
    static func checkUniqueKeys(_ frame: Frame, keys: [String], table: TableName, operation: String) throws(PostgresError) {
        let indices = keys.compactMap { frame.schema.index(of: $0) }
        guard frame.rowCount > 1, !indices.isEmpty else { return }
        // Each key column as one 64-bit word per row (strings by a canonical code).
        let words: [[UInt64]] = indices.map { c in
            let column = frame.columns[c]
            let null: UInt64 = 0x7FF8_DEAD_BEEF_0001
            var out: [UInt64]
            switch column.data {
            case let .double(v): out = v.map { $0 == 0 ? 0 : $0.isNaN ? 0x7FF8_0000_0000_0000 : $0.bitPattern }
            case let .int64(v), let .timestamp(v): out = v.map { UInt64(bitPattern: $0) }
            case let .date(v): out = v.map { UInt64(UInt32(bitPattern: $0)) }
            case let .bool(v): out = v.map { $0 ? 1 : 0 }
            case let .string(s):
                var canonical: [String: Int32] = [:]
                let remap = s.dictionary.enumerated().map { i, entry in
                    if let c = canonical[entry] { return c }
                    canonical[entry] = Int32(i)
                    return Int32(i)
                }
                out = s.codes.map { $0 < 0 ? null : UInt64(UInt32(bitPattern: remap[Int($0)])) }
            }
            if column.validity.hasNulls { for i in 0..<out.count where column.validity.isNull(i) { out[i] = null } }
            return out
        }
        var first: Int?, second = 0
        if words.count == 1 {
            var seen = [UInt64: Int](minimumCapacity: frame.rowCount)
            for (row, word) in words[0].enumerated() {
                if let earlier = seen.updateValue(row, forKey: word) { first = earlier; second = row; break }
            }
        } else {
            var seen = [[UInt64]: Int](minimumCapacity: frame.rowCount)
            for row in 0..<frame.rowCount {
                if let earlier = seen.updateValue(row, forKey: words.map { $0[row] }) { first = earlier; second = row; break }
            }
        }
        guard let first else { return }
        let values = indices.map { "\(frame.columns[$0][second])" }.joined(separator: ", ")
        var error = PostgresError(.badData, operation: operation,
                                  message: "the key (\(keys.joined(separator: ", "))) = (\(values)) appears twice in the input, in rows \(first + 1) and \(second + 1); an upsert takes each key once: remove or merge one of them",
                                  sqlState: "21000", table: table.description, column: keys.count == 1 ? keys[0] : nil, row: second)
        error.firstRow = first
        throw error
    }

    /// Throws `.privilege` naming the first grant the role lacks for `mode` on the existing
    /// table: INSERT on the written columns (every mode), TRUNCATE (replace), UPDATE on the
    /// updated columns and SELECT on the keys (upsert).
    func checkPrivileges(_ quoted: String, table: TableName, columns: [String], mode: WriteMode, keys: [String],
                         operation: String) throws(PostgresError) {
        var needed: [(String, String)] = columns.map { ($0, "INSERT") }
        if mode == .upsert {
            needed += keys.map { ($0, "SELECT") }
            needed += columns.filter { !keys.contains($0) }.map { ($0, "UPDATE") }
        }
        let missing = try missingColumnPrivileges(quoted, needed)
        if mode == .replace, try rows("SELECT has_table_privilege($1::regclass, 'TRUNCATE')", [.string(quoted)]).first?.first != "t" {
            throw PostgresError(.privilege, operation: operation,
                                message: "the role may not TRUNCATE table \(table), which --mode replace needs (GRANT TRUNCATE, INSERT ON \(quoted) TO …)",
                                sqlState: "42501", table: table.description)
        }
        if let (column, privilege) = missing.first {
            let all = missing.map { "\($0.1) (\($0.0))" }.joined(separator: ", ")
            throw PostgresError(.privilege, operation: operation,
                                message: "the role lacks \(privilege) on column '\(column)' of table \(table), which --mode \(mode.rawValue) needs; missing: \(all)",
                                sqlState: "42501", table: table.description, column: column)
        }
    }

    /// The (column, privilege) pairs of `needed` the current role does not hold.
    func missingColumnPrivileges(_ quoted: String, _ needed: [(String, String)]) throws(PostgresError) -> [(String, String)] {
        guard !needed.isEmpty else { return [] }
        let json = (try? JSONSerialization.data(withJSONObject: needed.enumerated().map { ["c": $1.0, "p": $1.1, "n": $0] as [String: Any] }))
            .map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        let found = try rows("""
            SELECT x.c, x.p FROM json_to_recordset($2::json) AS x(c text, p text, n int8)
            WHERE NOT has_column_privilege($1::regclass, x.c, x.p) ORDER BY x.n
            """, [.string(quoted), .string(json)])
        return found.map { ($0[0] ?? "", $0[1] ?? "") }
    }
}

private extension Int64 {
    /// Division rounding toward negative infinity.
    func dividingFloorBy(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}

/// A column of an existing table, and the Sluice type to read input as so that every value
/// reaches it unchanged (see ``PostgresSink/existingColumns()``).
public struct PostgresColumn: Sendable, Equatable {
    /// The column's name.
    public var name: String
    /// Its type as PostgreSQL prints it (`integer`, `numeric(10,2)`, `text`).
    public var sqlType: String
    /// The type to read input text as for this column: `int64` for the integer types,
    /// `double` for `real` and `double precision`, `bool`, `date`, `timestamp` for both
    /// timestamp types, and `string` for everything else (text keeps its exact characters;
    /// `numeric`, `uuid`, `jsonb`, … are parsed by the server's own input function, so
    /// `1.50` stays `1.50`).
    public var readType: ColumnType

    init(_ column: TargetColumn) {
        name = column.name
        sqlType = column.sqlType
        switch column.oid {
        case PostgresType.int2, PostgresType.int4, PostgresType.int8: readType = .int64
        case PostgresType.float4, PostgresType.float8: readType = .double
        case PostgresType.bool: readType = .bool
        case PostgresType.date: readType = .date
        case PostgresType.timestamp, PostgresType.timestamptz: readType = .timestamp
        default: readType = .string
        }
    }
}

extension PostgresConnection {
    /// The columns of `table` in order, or `nil` when there is no such table.
    public func existingColumns(of table: TableName) throws(PostgresError) -> [PostgresColumn]? {
        try table.validate()
        return try existingColumns(quoted: try table.quoted(self))?.map(PostgresColumn.init)
    }
}

extension PostgresSink {
    /// The target table's columns, or `nil` when it does not exist yet: read them before
    /// reading the input, to read each input column as its target's type
    /// (``PostgresColumn/readType``).
    public func existingColumns() async throws -> [PostgresColumn]? {
        let (configuration, table) = (self.configuration, self.table)
        return try await Blocking.run {
            let connection = try PostgresConnection(configuration)
            defer { connection.close() }
            return try connection.existingColumns(of: table)
        }
    }
}
