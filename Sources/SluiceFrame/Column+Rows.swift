extension Column {
    /// The rows at `indices`, in that order (indices may repeat).
    ///
    /// - Precondition: every index is in `0..<count` (``Frame/taking(rows:)`` checks first).
    public func taking(_ indices: [Int]) -> Column {
        func pick<T>(_ a: [T]) -> [T] { indices.map { a[$0] } }
        let v = validity.taking(indices)
        switch data {
        case let .double(a): return Column(.double(pick(a)), validity: v)
        case let .int64(a): return Column(.int64(pick(a)), validity: v)
        case let .string(s): return Column(.string(StringColumn(codes: pick(s.codes), dictionary: s.dictionary)), validity: v)
        case let .bool(a): return Column(.bool(pick(a)), validity: v)
        case let .date(a): return Column(.date(pick(a)), validity: v)
        case let .timestamp(a): return Column(.timestamp(pick(a)), validity: v)
        }
    }

    /// Rows `range`.
    public func slice(_ range: Range<Int>) -> Column {
        let v = validity.slice(range)
        switch data {
        case let .double(a): return Column(.double(Array(a[range])), validity: v)
        case let .int64(a): return Column(.int64(Array(a[range])), validity: v)
        case let .string(s): return Column(.string(StringColumn(codes: Array(s.codes[range]), dictionary: s.dictionary)), validity: v)
        case let .bool(a): return Column(.bool(Array(a[range])), validity: v)
        case let .date(a): return Column(.date(Array(a[range])), validity: v)
        case let .timestamp(a): return Column(.timestamp(Array(a[range])), validity: v)
        }
    }

    /// The rows of `columns` one after another; all must have one type.
    ///
    /// String dictionaries are merged: the first column's dictionary keeps its codes and
    /// new strings from later columns are appended in order of first appearance.
    public static func concatenating(_ columns: [Column], name: String = "") throws(FrameError) -> Column {
        guard let first = columns.first else { return Column(.double([])) }
        for c in columns where c.type != first.type {
            throw .typeMismatch(column: name, expected: first.type, actual: c.type)
        }
        var mask = first.validity
        for c in columns.dropFirst() { mask = mask.appending(c.validity) }
        func join<T>(_ get: (ColumnData) -> [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(columns.reduce(0) { $0 + $1.count })
            for c in columns { out += get(c.data) }
            return out
        }
        switch first.data {
        case .double: return Column(.double(join { if case let .double(a) = $0 { a } else { [] } }), validity: mask)
        case .int64: return Column(.int64(join { if case let .int64(a) = $0 { a } else { [] } }), validity: mask)
        case .bool: return Column(.bool(join { if case let .bool(a) = $0 { a } else { [] } }), validity: mask)
        case .date: return Column(.date(join { if case let .date(a) = $0 { a } else { [] } }), validity: mask)
        case .timestamp: return Column(.timestamp(join { if case let .timestamp(a) = $0 { a } else { [] } }), validity: mask)
        case let .string(s0):
            var dictionary = s0.dictionary
            var index: [String: Int32] = [:]
            for (i, s) in dictionary.enumerated() where index[s] == nil { index[s] = Int32(i) }
            var codes = s0.codes
            codes.reserveCapacity(columns.reduce(0) { $0 + $1.count })
            for c in columns.dropFirst() {
                guard case let .string(s) = c.data else { continue }
                let remap: [Int32] = s.dictionary.map { str in
                    if let code = index[str] { return code }
                    let code = Int32(dictionary.count)
                    dictionary.append(str)
                    index[str] = code
                    return code
                }
                codes += s.codes.lazy.map { $0 < 0 ? -1 : remap[Int($0)] }
            }
            return Column(.string(StringColumn(codes: codes, dictionary: dictionary)), validity: mask)
        }
    }
}
