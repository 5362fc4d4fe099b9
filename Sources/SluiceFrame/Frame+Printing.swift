/// Renders rows of cells as an aligned text table.
enum TextTable {
    static func width(_ s: String) -> Int { s.count }

    static func render(header: [String], rows: [[String]], rightAlign: [Bool]? = nil) -> String {
        var widths = header.map(width)
        for r in rows { for (j, c) in r.enumerated() where j < widths.count { widths[j] = max(widths[j], width(c)) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { j, c in
                let pad = String(repeating: " ", count: max(0, widths[j] - width(c)))
                return (rightAlign?[j] ?? false) ? pad + c : c + pad
            }.joined(separator: "  ")
        }
        var out = [line(header), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")]
        out += rows.map(line)
        return out.map { $0.replacingTrailingSpaces() }.joined(separator: "\n")
    }
}

extension String {
    fileprivate func replacingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

extension Frame {
    /// A text table of the first `maxRows` rows for a terminal, under a header of names and
    /// types, with a line saying how many rows and columns the frame has. Cells wider than
    /// `maxCellWidth` are cut with `…`; control characters are shown escaped; nulls print as
    /// `null`.
    public func formatted(maxRows: Int = 10, maxCellWidth: Int = 24) -> String {
        func cell(_ v: Value) -> String {
            var s = v.description
            if case .string = v {
                s = String(s.unicodeScalars.map { $0.properties.generalCategory == .control
                    ? $0.escaped(asASCII: true) : String($0) }.joined())
            }
            if s.count > maxCellWidth { s = String(s.prefix(max(1, maxCellWidth - 1))) + "…" }
            return s
        }
        let shown = min(maxRows, rowCount)
        let header = schema.fields.map { "\($0.name) (\($0.type))" }
        let rows = (0..<shown).map { i in columns.map { cell($0[i]) } }
        let align = schema.fields.map { $0.type == .double || $0.type == .int64 }
        var out = "Frame: \(rowCount) rows × \(columnCount) columns\n"
        if columnCount > 0 { out += TextTable.render(header: header, rows: rows, rightAlign: align) }
        if shown < rowCount { out += "\n… \(rowCount - shown) more rows" }
        return out
    }
}
