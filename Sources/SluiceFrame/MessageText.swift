/// Text made safe to print on a terminal.
public enum MessageText {
    /// `text` with every control character escaped as `\u{XX}` (C0 controls, DEL, C1 controls
    /// U+0080–U+009F; also CR and, unless `keepNewlines`, LF and TAB), so that a value echoed in a
    /// message cannot move the cursor, recolour the terminal or forge another line.
    public static func escapingControls(_ text: String, keepNewlines: Bool = true) -> String {
        func isControl(_ v: UInt32) -> Bool { v < 0x20 || v == 0x7F || (v >= 0x80 && v <= 0x9F) }
        guard text.unicodeScalars.contains(where: { isControl($0.value) && !(keepNewlines && $0.value == 0x0A) }) else {
            return text
        }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if isControl(v) && !(keepNewlines && v == 0x0A) {
                let hex = String(v, radix: 16, uppercase: true)
                out.append(contentsOf: "\\u{\(hex.count < 2 ? "0" + hex : hex)}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}
