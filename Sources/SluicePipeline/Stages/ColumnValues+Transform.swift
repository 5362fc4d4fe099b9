import SluiceFrame

/// Helpers shared by the scaling, power, quantile and feature-engineering stages.
extension ColumnValues {
    /// The column `name` of `frame`, a missing one reported as the stage's error.
    static func column(_ frame: Frame, _ name: String, stage: String) throws -> Column {
        guard let c = frame[name] else { throw PipelineError.missingColumn(stage: stage, column: name) }
        return c
    }

    /// `frame` with each of `columns` replaced in place by the doubles `map(j, values)`
    /// returns for it (`j` its position in `columns`, `values` `NaN` where null). Nulls stay
    /// null whatever `map` writes there; each field keeps its nullability.
    static func mapping(_ frame: Frame, _ columns: [String], stage: String,
                        _ map: (Int, inout [Double]) throws -> Void) throws -> Frame {
        var out = frame
        for (j, n) in columns.enumerated() {
            let c = try column(frame, n, stage: stage)
            var v = doubles(c)
            try map(j, &v)
            let nullable = frame.schema[n]?.nullable ?? true
            try framing(stage) { () throws(FrameError) in
                try out.set(n, to: Column(.double(v), validity: c.validity), nullable: nullable)
            }
        }
        return out
    }

    /// `input` with `names` removed and `replacement` inserted where the first of them was
    /// (at the end if none was present).
    static func splicing(_ input: Schema, removing names: [String], inserting replacement: [Field],
                         stage: String) throws -> Schema {
        let removed = Set(names)
        var fields = [Field](), inserted = false
        for f in input.fields {
            if removed.contains(f.name) {
                if !inserted { fields += replacement; inserted = true }
            } else {
                fields.append(f)
            }
        }
        if !inserted { fields += replacement }
        return try framing(stage) { () throws(FrameError) in try Schema(fields) }
    }

    /// The frame of `schema` whose columns come from `frame` by name, or from `made`.
    static func assembling(_ schema: Schema, from frame: Frame, made: [String: Column], stage: String) throws -> Frame {
        var columns = [Column]()
        columns.reserveCapacity(schema.count)
        for f in schema.fields {
            if let c = made[f.name] ?? frame[f.name] { columns.append(c) } else {
                throw PipelineError.missingColumn(stage: stage, column: f.name)
            }
        }
        return try framing(stage) { () throws(FrameError) in try Frame(schema: schema, columns: columns) }
    }
}

extension ColumnValues {
    /// `frame` with each of `columns` replaced in place by `map(j, value)` as doubles, a
    /// `nil` result becoming null. Null rows stay null (`map` is not called for them); `NaN`
    /// stays `NaN`. A field is nullable if it was, or if `nullable` says `map` can make nulls.
    static func mappingWithNulls(_ frame: Frame, _ columns: [String], nullable: Bool, stage: String,
                                 _ map: (Int, Double) -> Double?) throws -> Frame {
        var out = frame
        for (j, n) in columns.enumerated() {
            let c = try column(frame, n, stage: stage)
            let v = doubles(c)
            var result = [Double](repeating: .nan, count: v.count)
            var valid = [Bool](repeating: true, count: v.count)
            for i in v.indices {
                if c.validity.isNull(i) { valid[i] = false; continue }
                if v[i].isNaN { continue }
                if let y = map(j, v[i]) { result[i] = y } else { valid[i] = false }
            }
            let fieldNullable = nullable || (frame.schema[n]?.nullable ?? true)
            try framing(stage) { () throws(FrameError) in
                try out.set(n, to: Column(.double(result), validity: ValidityMask(valid: valid)), nullable: fieldNullable)
            }
        }
        return out
    }
}

extension Schema {
    /// This schema with `names` made nullable.
    func withNullable(_ names: [String], stage: String) throws -> Schema {
        let set = Set(names)
        return try framing(stage) { () throws(FrameError) in
            try Schema(fields.map { set.contains($0.name) ? Field($0.name, $0.type, nullable: true) : $0 })
        }
    }
}

extension ColumnValues {
    /// Checks that fitted per-column arrays (decoded from an artifact, say) have one entry
    /// per column, so a transform never indexes past them.
    static func checkState(_ stage: String, columns: Int, _ counts: Int...) throws {
        guard counts.allSatisfy({ $0 == columns }) else {
            throw PipelineError.invalidConfiguration(stage: stage,
                reason: "fitted state is inconsistent: \(columns) columns, per-column arrays of \(counts)")
        }
    }
}
