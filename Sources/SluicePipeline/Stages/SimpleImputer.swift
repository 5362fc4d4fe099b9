import SluiceCompute
import SluiceFrame

/// Fills missing values (null, and `NaN` in numeric columns) column by column, as
/// scikit-learn's `SimpleImputer`.
///
/// - `mean` and `median` take numeric columns and produce `double` columns.
/// - `mostFrequent` takes numeric, bool and string columns (ties: the smallest value, as
///   scikit-learn; `false` before `true`) and keeps the type: a `bool` column stays `bool`.
/// - `constant` fills a number into numeric columns (making them `double`), a string into
///   string columns, or a bool into bool columns (which stay `bool`).
///
/// A column missing entirely at fit time is **kept**: `mean`/`median` fill it with 0 and
/// `mostFrequent` with 0, `false` or the empty string (scikit-learn's
/// `keep_empty_features=True`).
/// With `addIndicator`, a `bool` column `NAME_missing` follows each column that had a
/// missing value at fit time.
public struct SimpleImputer: Transformer {
    /// How a column's missing values are filled.
    public enum Strategy: Sendable, Codable, Equatable {
        /// The mean of the column's values (numeric columns; the result is `double`).
        case mean
        /// The median of the column's values (numeric columns; the result is `double`).
        case median
        /// The most frequent value (any numeric, bool or string column; the type is kept).
        case mostFrequent
        /// This number (numeric columns; the result is `double`).
        case constantNumber(Double)
        /// This string (string columns).
        case constantString(String)
        /// This bool (bool columns, which stay `bool`).
        case constantBool(Bool)
    }

    public var columns: ColumnSelector
    public var strategy: Strategy
    public var addIndicator: Bool
    public var name: String { "SimpleImputer" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), strategy: Strategy = .mean, addIndicator: Bool = false) {
        self.columns = columns
        self.strategy = strategy
        self.addIndicator = addIndicator
    }

    private func chosen(_ schema: Schema) throws -> [Field] {
        try columns.resolve(in: schema, stage: name).map { n in
            let f = try schema.require(n, stage: name)
            switch (strategy, f.type) {
            case (.mean, let t), (.median, let t), (.constantNumber, let t):
                guard t.isNumeric else {
                    throw columns.unsupported(stage: name, column: n, type: t, expected: "a numeric column")
                }
            case (.constantString, let t):
                guard t == .string else {
                    throw columns.unsupported(stage: name, column: n, type: t, expected: "a string column")
                }
            case (.constantBool, let t):
                guard t == .bool else {
                    throw columns.unsupported(stage: name, column: n, type: t, expected: "a bool column")
                }
            case (.mostFrequent, let t):
                guard t.isNumeric || t == .string else {
                    throw columns.unsupported(stage: name, column: n, type: t, expected: "a numeric, bool or string column")
                }
            }
            return f
        }
    }

    /// Before fitting, every chosen column is assumed to get an indicator (with
    /// `addIndicator`); the fitted stage adds one only where values were missing.
    public func outputSchema(for input: Schema) throws -> Schema {
        let names = try chosen(input).map(\.name)
        return try Self.imputedSchema(input, columns: names, indicators: addIndicator ? names : [], strategy: strategy)
    }

    /// The type an imputed column of type `type` comes out as: strings stay strings; the
    /// most frequent value keeps every type; a constant bool keeps `bool`; otherwise `double`.
    static func imputedType(_ type: ColumnType, strategy: Strategy) -> ColumnType {
        switch (type, strategy) {
        case (.string, _), (_, .mostFrequent), (.bool, .constantBool): return type
        default: return .double
        }
    }

    /// `input` with `columns` made non-null (of ``imputedType(_:strategy:)``), each of
    /// `indicators` followed by its `NAME_missing` flag.
    static func imputedSchema(_ input: Schema, columns: [String], indicators: [String], strategy: Strategy) throws -> Schema {
        let chosen = Set(columns), flagged = Set(indicators)
        var fields = [Field]()
        for f in input.fields {
            guard chosen.contains(f.name) else { fields.append(f); continue }
            fields.append(Field(f.name, imputedType(f.type, strategy: strategy), nullable: false))
            if flagged.contains(f.name) { fields.append(Field("\(f.name)_missing", .bool, nullable: false)) }
        }
        return try framing("SimpleImputer") { () throws(FrameError) in try Schema(fields) }
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        var fills = [Fitted.Fill](), indicators = [String]()
        let fields = try chosen(frame.schema)
        let columns = try fields.map { f in try framing(name) { () throws(FrameError) in try frame.column(f.name) } }
        // The numeric fills (a pass, a selection or a count over each column), on every core.
        var numericFills = [(fill: Fitted.Fill, present: Int)?](repeating: nil, count: fields.count)
        numericFills.withUnsafeMutableBufferPointer { out in
            Parallel.forEachChunk(of: fields.count, minimumChunk: 1) { range in
                for j in range where fillsNumerically(fields[j].type) { out[j] = numericFill(columns[j]) }
            }
        }
        for (j, f) in fields.enumerated() {
            let c = columns[j]
            let fill: Fitted.Fill
            if f.type == .string {
                let s = try framing(name) { () throws(FrameError) in try c.stringValues(name: f.name) }
                switch strategy {
                case .constantString(let v): fill = .string(v)
                default:  // mostFrequent
                    var counts = [Int](repeating: 0, count: s.dictionary.count)
                    for (i, code) in s.codes.enumerated() where c.validity.isValid(i) { counts[Int(code)] += 1 }
                    let best = counts.indices.filter { counts[$0] > 0 }
                        .max { (counts[$0], s.dictionary[$1]) < (counts[$1], s.dictionary[$0]) }
                    fill = .string(best.map { s.dictionary[$0] } ?? "")
                }
                if addIndicator && c.nullCount > 0 { indicators.append(f.name) }
            } else if f.type == .bool, case .constantBool(let b) = strategy {
                fill = .bool(b)
                if addIndicator && c.nullCount > 0 { indicators.append(f.name) }
            } else if f.type == .bool, strategy == .mostFrequent {
                let b = try framing(name) { () throws(FrameError) in try c.boolValues(name: f.name) }
                var trues = 0, falses = 0
                for (i, x) in b.enumerated() where c.validity.isValid(i) { if x { trues += 1 } else { falses += 1 } }
                fill = .bool(trues > falses)  // a tie, or no value at all, takes false (the smaller)
                if addIndicator && c.nullCount > 0 { indicators.append(f.name) }
            } else if let numeric = numericFills[j] {
                fill = numeric.fill
                if addIndicator && numeric.present < c.count { indicators.append(f.name) }
            } else {
                fill = .number(0)  // unreachable: every other type is filled numerically
            }
            fills.append(fill)
        }
        let names = fields.map(\.name)
        return Fitted(columns: names, fills: fills, indicators: indicators, keepTypes: strategy == .mostFrequent,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try Self.imputedSchema(frame.schema, columns: names, indicators: indicators,
                                                           strategy: strategy))
    }

    /// Whether a column of `type` gets a number (a string never; a bool under the
    /// most-frequent or a constant-bool strategy keeps a bool).
    private func fillsNumerically(_ type: ColumnType) -> Bool {
        switch (type, strategy) {
        case (.string, _), (.bool, .mostFrequent), (.bool, .constantBool): return false
        default: return true
        }
    }

    /// A numeric column's fill by the strategy, and how many values it has (not null, not NaN).
    private func numericFill(_ c: Column) -> (fill: Fitted.Fill, present: Int) {
        var v = ColumnValues.doubles(c)
        v.removeAll { $0.isNaN }
        switch strategy {
        case .mean: return (.number(v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count)), v.count)
        case .median:
            let present = v.count
            return (.number(Quantiles.median(selecting: &v)), present)
        case .mostFrequent:
            var counts = [Double: Int]()
            for x in v { counts[x, default: 0] += 1 }
            return (.number(counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? 0), v.count)
        case .constantNumber(let x): return (.number(x), v.count)
        case .constantString, .constantBool: return (.number(0), v.count)  // unreachable: refused by chosen()
        }
    }

    /// The median of `v` (the mean of the two middle values for an even count); 0 if empty.
    static func median(_ v: [Double]) -> Double {
        var values = v
        return Quantiles.median(selecting: &values)
    }

    /// Fitted state: the fill value of each column.
    public struct Fitted: FittedTransformer {
        public static let kind = "SimpleImputer"
        /// A column's fill value.
        public enum Fill: Sendable, Codable, Equatable {
            /// A number, for a numeric (or, made `double`, a bool) column.
            case number(Double)
            /// A string, for a string column.
            case string(String)
            /// A bool, for a bool column that stays `bool`.
            case bool(Bool)
        }

        public var columns: [String]
        public var fills: [Fill]
        /// Columns that get a `NAME_missing` indicator.
        public var indicators: [String]
        /// Whether numeric columns keep their type (most frequent) or become `double`.
        public var keepTypes: Bool
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            var named: [(Field, Column)] = []
            let chosen = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
            let flagged = Set(indicators)
            for (f, c) in zip(frame.schema.fields, frame.columns) {
                guard let j = chosen[f.name] else { named.append((f, c)); continue }
                var missing = [Bool](repeating: false, count: c.count)
                switch (fills[j], c.data) {
                case let (.string(fill), .string(s)):
                    var dictionary = s.dictionary
                    let fillCode = Int32(dictionary.firstIndex(of: fill) ?? { dictionary.append(fill); return dictionary.count - 1 }())
                    var codes = s.codes
                    for i in 0..<c.count where c.isNull(i) { codes[i] = fillCode; missing[i] = true }
                    named.append((Field(f.name, .string, nullable: false), Column(.string(StringColumn(codes: codes, dictionary: dictionary)))))
                case let (.number(fill), .int64(a)) where keepTypes:
                    var out = a
                    for i in 0..<c.count where c.isNull(i) { out[i] = Int64(fill); missing[i] = true }
                    named.append((Field(f.name, .int64, nullable: false), Column(.int64(out))))
                case let (.bool(fill), .bool(a)):
                    var out = a
                    for i in 0..<c.count where c.isNull(i) { out[i] = fill; missing[i] = true }
                    named.append((Field(f.name, .bool, nullable: false), Column(.bool(out))))
                case let (.number(fill), _):
                    var v = ColumnValues.doubles(c)
                    for i in v.indices where v[i].isNaN { v[i] = fill; missing[i] = true }
                    named.append((Field(f.name, .double, nullable: false), Column(.double(v))))
                case (.string, _):
                    throw PipelineError.schemaMismatch(column: f.name, expected: "string", actual: c.type.rawValue)
                case (.bool, _):
                    throw PipelineError.schemaMismatch(column: f.name, expected: "bool", actual: c.type.rawValue)
                }
                if flagged.contains(f.name) { named.append((Field("\(f.name)_missing", .bool, nullable: false), Column(.bool(missing)))) }
            }
            return try ColumnValues.frame(named, stage: Self.kind)
        }
    }
}

extension SimpleImputer.Fitted {
    /// One finite fill per input column, of the column's kind (a string for a string
    /// column, a number otherwise, whole for an `int64` column that keeps its type);
    /// indicators only for imputed columns.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes.union([.string]))
        try check.count(fills.count, "fills", equals: columns.count)
        for (n, fill) in zip(columns, fills) {
            let type = inputSchema[n]?.type
            switch fill {
            case .string:
                try check.require(type == .string, "fills", "a string fill for the \(type?.rawValue ?? "?") column '\(n)'")
            case .bool:
                try check.require(type == .bool, "fills", "a bool fill for the \(type?.rawValue ?? "?") column '\(n)'")
            case .number(let x):
                try check.require(type != .string, "fills", "a number fill for the string column '\(n)'")
                try check.require(x.isFinite, "fills", "the fill of '\(n)' is \(x), not finite")
                if keepTypes && type == .int64 {
                    try check.require(Int64(exactly: x) != nil, "fills", "the fill of int64 column '\(n)' is \(x), not a whole int64")
                }
            }
        }
        try check.unique(indicators, "indicators")
        let imputed = Set(columns)
        for n in indicators { try check.require(imputed.contains(n), "indicators", "'\(n)' is not an imputed column") }
        try check.outputs(columns + indicators.map { "\($0)_missing" }, in: outputSchema)
    }
}
