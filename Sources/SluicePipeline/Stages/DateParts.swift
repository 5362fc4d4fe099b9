import SluiceFrame

/// Numeric parts of `date` and `timestamp` columns (UTC, proleptic Gregorian), as pandas'
/// `.dt` accessors: each chosen column is replaced by its parts, named `column_part`:
///
/// | part | name | type | |
/// |---|---|---|---|
/// | ``Part/year`` | `_year` | int64 | |
/// | ``Part/month`` | `_month` | int64 | 1…12 |
/// | ``Part/day`` | `_day` | int64 | day of month, 1…31 |
/// | ``Part/dayOfWeek`` | `_dayofweek` | int64 | Monday = 0 … Sunday = 6, as pandas |
/// | ``Part/dayOfYear`` | `_dayofyear` | int64 | 1…366 |
/// | ``Part/hour`` | `_hour` | int64 | 0…23; timestamps only, skipped for dates |
/// | ``Part/daysSince(_:)`` | `_days_since_YYYY-MM-DD` | double | fractional for timestamps |
///
/// A null date gives null parts. With `keepOriginal` the date column stays after its
/// parts (estimators refuse it, so drop it before the model). Stateless: fitting only
/// checks the columns and records the schema.
public struct DateParts: Transformer {
    /// One part of a date.
    public enum Part: Sendable, Codable, Equatable, Hashable {
        case year, month, day, dayOfWeek, dayOfYear, hour
        /// Days since a reference date, given as days since 1970-01-01.
        case daysSince(Int32)

        /// Days since `year`-`month`-`day`.
        public static func daysSince(year: Int, month: Int, day: Int) -> Part {
            .daysSince(Int32(clamping: CalendarDate.days(year: year, month: month, day: day)))
        }

        var suffix: String {
            switch self {
            case .year: "year"
            case .month: "month"
            case .day: "day"
            case .dayOfWeek: "dayofweek"
            case .dayOfYear: "dayofyear"
            case .hour: "hour"
            case .daysSince(let d): "days_since_" + CalendarDate.format(days: d)
            }
        }
    }

    public var columns: ColumnSelector
    public var parts: [Part]
    public var keepOriginal: Bool
    public var name: String { "DateParts" }

    /// The default parts: year, month, day of week, day of year and (timestamps) hour.
    public static let defaultParts: [Part] = [.year, .month, .dayOfWeek, .dayOfYear, .hour]

    public init(columns: ColumnSelector = .routeColumns(otherwise: .temporal), parts: [Part] = DateParts.defaultParts, keepOriginal: Bool = false) {
        self.columns = columns
        self.parts = parts
        self.keepOriginal = keepOriginal
    }

    func chosen(_ schema: Schema) throws -> [String] {
        try columns.resolve(in: schema, stage: name, accepting: { $0 == .date || $0 == .timestamp },
                            expected: "a date or timestamp column")
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        guard !parts.isEmpty else { throw PipelineError.invalidConfiguration(stage: name, reason: "no parts chosen") }
        return try Fitted.schema(input, columns: chosen(input), parts: parts, keepOriginal: keepOriginal)
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let names = try chosen(frame.schema)
        return Fitted(columns: names, parts: parts, keepOriginal: keepOriginal,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try outputSchema(for: frame.schema))
    }

    /// Fitted state: the columns and parts.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "DateParts"
        public var columns: [String]
        public var parts: [Part]
        public var keepOriginal: Bool
        public var inputSchema: Schema
        public var outputSchema: Schema

        static func fields(_ f: Field, parts: [Part], keepOriginal: Bool) -> [Field] {
            let made = parts.filter { $0 != .hour || f.type == .timestamp }.map { p -> Field in
                if case .daysSince = p { return Field("\(f.name)_\(p.suffix)", .double, nullable: f.nullable) }
                return Field("\(f.name)_\(p.suffix)", .int64, nullable: f.nullable)
            }
            return made + (keepOriginal ? [f] : [])
        }

        static func schema(_ input: Schema, columns: [String], parts: [Part], keepOriginal: Bool) throws -> Schema {
            let chosen = Set(columns)
            let out = input.fields.flatMap { chosen.contains($0.name) ? Self.fields($0, parts: parts, keepOriginal: keepOriginal) : [$0] }
            return try framing(kind) { () throws(FrameError) in try Schema(out) }
        }

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            let chosen = Set(columns)
            var named: [(Field, Column)] = []
            let perDay: Int64 = 86_400_000_000
            for (f, c) in zip(frame.schema.fields, frame.columns) {
                guard chosen.contains(f.name) else { named.append((f, c)); continue }
                // Whole days since 1970 and, for timestamps, microseconds into the day.
                let days: [Int], micros: [Int64]?
                switch c.data {
                case .date(let d): days = d.map(Int.init); micros = nil
                case .timestamp(let t):
                    days = t.map { Int($0 % perDay < 0 ? $0 / perDay - 1 : $0 / perDay) }
                    micros = t.map { ($0 % perDay + perDay) % perDay }
                default:
                    throw PipelineError.unsupportedType(stage: Self.kind, column: f.name, type: c.type, expected: "a date or timestamp column")
                }
                let civil = days.map { CalendarDate.civil(days: $0) }
                for field in Self.fields(f, parts: parts, keepOriginal: false) {
                    let suffix = String(field.name.dropFirst(f.name.count + 1))
                    guard let part = parts.first(where: { $0.suffix == suffix }) else { continue }
                    let column: Column
                    switch part {
                    case .year: column = Column(.int64(civil.map { Int64($0.year) }), validity: c.validity)
                    case .month: column = Column(.int64(civil.map { Int64($0.month) }), validity: c.validity)
                    case .day: column = Column(.int64(civil.map { Int64($0.day) }), validity: c.validity)
                    case .dayOfWeek:
                        // 1970-01-01 was a Thursday (3 with Monday = 0).
                        column = Column(.int64(days.map { Int64((($0 + 3) % 7 + 7) % 7) }), validity: c.validity)
                    case .dayOfYear:
                        column = Column(.int64(zip(days, civil).map { d, ymd in
                            Int64(d - CalendarDate.days(year: ymd.year, month: 1, day: 1) + 1)
                        }), validity: c.validity)
                    case .hour:
                        column = Column(.int64((micros ?? []).map { $0 / 3_600_000_000 }), validity: c.validity)
                    case .daysSince(let reference):
                        let values: [Double]
                        if let micros {
                            values = zip(days, micros).map { Double($0 - Int(reference)) + Double($1) / Double(perDay) }
                        } else {
                            values = days.map { Double($0 - Int(reference)) }
                        }
                        column = Column(.double(values), validity: c.validity)
                    }
                    named.append((field, column))
                }
                if keepOriginal { named.append((f, c)) }
            }
            return try ColumnValues.frame(named, stage: Self.kind)
        }
    }
}

extension DateParts.Fitted {
    /// The columns are distinct date or timestamp input columns; parts are not repeated.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: [.date, .timestamp])
        try check.unique(parts.map(\.suffix), "parts")
    }
}
