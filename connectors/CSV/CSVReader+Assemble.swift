import Glibc
import SluiceCompute
import SluiceFrame

extension CSVReader {
    /// Joins the parts' builders column by column into a frame: unifies kinds, concatenates
    /// values and validity bits, merges string dictionaries (first appearance first) and
    /// checks each distinct string once for UTF-8 and NUL. Columns are joined on every core;
    /// a part's storage is released as soon as its column is copied. When several columns
    /// fail, the first column's failure is the one thrown.
    func assemble(_ parts: [[ColumnBuilder]], names: [String]) throws(ParseFailure) -> Frame {
        let width = names.count, count = parts.count
        // Column-major: the builders of column j are grid[j * count ..< (j + 1) * count].
        let grid = UnsafeMutablePointer<ColumnBuilder>.allocate(capacity: max(1, width * count))
        for k in 0..<count { for j in 0..<width { (grid + j * count + k).initialize(to: parts[k][j]) } }
        let columns = UnsafeMutablePointer<Column?>.allocate(capacity: max(1, width))
        let failures = UnsafeMutablePointer<ParseFailure?>.allocate(capacity: max(1, width))
        columns.initialize(repeating: nil, count: width)
        failures.initialize(repeating: nil, count: width)
        defer {
            grid.deinitialize(count: width * count); grid.deallocate()
            columns.deinitialize(count: width); columns.deallocate()
            failures.deinitialize(count: width); failures.deallocate()
        }
        var nullable = [Bool](repeating: false, count: width)
        var kinds = [ColumnBuilder.Kind](repeating: .empty, count: width)
        for j in 0..<width {
            for k in 0..<count {
                kinds[j] = KindLattice.join(kinds[j], grid[j * count + k].kind)
                nullable[j] = nullable[j] || grid[j * count + k].sawNull
            }
            if kinds[j] == .empty { kinds[j] = .string }
        }
        Parallel.forEachChunk(of: width, minimumChunk: 1) { range in
            for j in range {
                var column: [ColumnBuilder] = (0..<count).map { k in
                    var b = grid[j * count + k]
                    grid[j * count + k] = ColumnBuilder(kind: .empty, fixed: false, reserve: 0)
                    b.promote(to: kinds[j])
                    return b
                }
                do throws(ParseFailure) {
                    columns[j] = try Self.column(&column, kind: kinds[j], field: j)
                } catch {
                    failures[j] = error
                }
            }
        }
        if let failure = (0..<width).lazy.compactMap({ failures[$0] }).first { throw failure }
        var fields: [Field] = []
        var built: [Column] = []
        fields.reserveCapacity(width)
        built.reserveCapacity(width)
        for j in 0..<width {
            guard let c = columns[j] else {
                throw ParseFailure(kind: .io("internal error assembling the frame"), location: .place(line: 0, column: 0))
            }
            columns[j] = nil
            built.append(c)
            fields.append(Field(names[j], c.type, nullable: nullable[j] || c.nullCount > 0))
        }
        do {
            return try Frame(schema: Schema(fields), columns: built)
        } catch {
            throw ParseFailure(kind: .io("internal error assembling the frame: \(error)"), location: .place(line: 0, column: 0))
        }
    }

    static func column(_ parts: inout [ColumnBuilder], kind: ColumnBuilder.Kind, field: Int) throws(ParseFailure) -> Column {
        let total = parts.reduce(0) { $0 + $1.count }
        let validity = mask(parts, total: total)
        defer { for k in parts.indices { parts[k].release() } }
        func join<T>(_ key: WritableKeyPath<ColumnBuilder, RawColumn<T>>) -> [T] {
            Array(unsafeUninitializedCapacity: total) { out, initialized in
                var at = 0
                for k in parts.indices {
                    let c = parts[k][keyPath: key]
                    if let src = c.base, c.count > 0, let dst = out.baseAddress {
                        (dst + at).initialize(from: src, count: c.count)
                        at += c.count
                    }
                    parts[k][keyPath: key].release()
                }
                initialized = at
            }
        }
        switch kind {
        case .double: return Column(.double(join(\.f64)), validity: validity)
        case .int64: return Column(.int64(join(\.i64)), validity: validity)
        case .timestamp: return Column(.timestamp(join(\.i64)), validity: validity)
        case .bool: return Column(.bool(join(\.b)), validity: validity)
        case .date: return Column(.date(join(\.i32)), validity: validity)
        case .empty, .string:
            var dict = parts[0].dict
            var codes = parts[0].i32.array()
            parts[0].i32.release()
            parts[0].dict = ByteDictionary()
            if parts.count > 1 { codes.reserveCapacity(total) }
            for k in parts.indices.dropFirst() {
                let d = parts[k].dict
                let remap: [Int32] = (0..<d.count).map { e in
                    d.entry(e).withUnsafeBufferPointer { b in
                        b.baseAddress.map { dict.intern($0, b.count) } ?? withUnsafePointer(to: 0) { dict.intern($0, 0) }
                    }
                }
                let part = parts[k].i32
                for i in 0..<part.count { let c = part[i]; codes.append(c < 0 ? -1 : remap[Int(c)]) }
                parts[k].i32.release()
                parts[k].dict = ByteDictionary()
            }
            var strings: [String] = []
            strings.reserveCapacity(dict.count)
            for e in 0..<dict.count {
                let bytes = dict.entry(e)
                var problem: CSVError.Kind?
                if bytes.contains(0) { problem = .nulByte }
                let s = bytes.withUnsafeBufferPointer { b in isValidUTF8(b) ? String(decoding: b, as: UTF8.self) : nil }
                if problem == nil && s == nil { problem = .invalidUTF8 }
                if let problem {
                    let row = codes.firstIndex(of: Int32(e)) ?? 0
                    throw ParseFailure(kind: problem, location: .row(row, field: field))
                }
                strings.append(s ?? "")
            }
            return Column(.string(StringColumn(codes: codes, dictionary: strings)), validity: validity)
        }
    }

    /// The validity bits of the parts, one after another.
    static func mask(_ parts: [ColumnBuilder], total: Int) -> ValidityMask {
        guard parts.contains(where: { $0.hasNulls }) else { return ValidityMask(allValid: total) }
        var words = [UInt64](repeating: 0, count: (total + 63) / 64)
        var at = 0
        for p in parts {
            if !p.hasNulls {
                setOnes(&words, from: at, count: p.count)
            } else if p.count == 0 {
                continue
            } else if at & 63 == 0 {
                for w in 0..<((p.count + 63) / 64) { words[at / 64 + w] = p.words[w] }
            } else {
                let shift = UInt64(at & 63)
                let last = (p.count + 63) / 64 - 1
                for w in 0...last {
                    var v = p.words[w]
                    if w == last && p.count & 63 != 0 { v &= (1 << UInt64(p.count & 63)) - 1 }
                    words[at / 64 + w] |= v << shift
                    if at / 64 + w + 1 < words.count { words[at / 64 + w + 1] |= v >> (64 - shift) }
                }
            }
            at += p.count
            // Clear bits a part's last word set past its rows.
            if at & 63 != 0 { words[at / 64] &= (1 << UInt64(at & 63)) - 1 }
        }
        return ValidityMask(words: words, count: total)
    }

    private static func setOnes(_ words: inout [UInt64], from: Int, count: Int) {
        var i = from
        let end = from + count
        while i < end {
            if i & 63 == 0 && end - i >= 64 { words[i / 64] = ~0; i += 64; continue }
            words[i / 64] |= 1 << UInt64(i & 63)
            i += 1
        }
    }
}
