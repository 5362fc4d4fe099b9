import Foundation
import Testing
import SluiceCompute
@testable import SluiceCSV

/// `ByteParsing.double` must give exactly `strtod`'s bits on every text it accepts, and
/// accept exactly the texts the reader treats as floats.
private func parse(_ text: String) -> Double? {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { b in
        b.baseAddress.flatMap { ByteParsing.double($0, b.count, leadingZeros: true) }
    }
}

private func strtodBits(_ text: String) -> UInt64? {
    text.withCString { s in
        var end: UnsafeMutablePointer<CChar>?
        let v = strtod(s, &end)
        guard let end, end - UnsafeMutablePointer(mutating: s) == text.utf8.count, !text.isEmpty else { return nil }
        return v.isNaN ? Double.nan.bitPattern : v.bitPattern
    }
}

private func expectStrtod(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let ours = parse(text)
    #expect(ours != nil, "\(text) was refused", sourceLocation: sourceLocation)
    guard let ours, let theirs = strtodBits(text) else { return }
    let bits = ours.isNaN ? Double.nan.bitPattern : ours.bitPattern
    #expect(bits == theirs, "\(text): \(ours) vs \(Double(bitPattern: theirs))", sourceLocation: sourceLocation)
}

@Test func floatEdgeCasesMatchStrtod() {
    let cases = [
        "0", "-0", "+0", "0.0", "-0.0", "0e0", "-0e-400", "0.000000000000000000000000000000",
        "1", "-1", "1.5", "-.5", "5.", ".5", "1e-3", "1E+3", "1e0", "1e22", "1e23", "1e-22", "1e-23",
        "0.1", "0.2", "0.3", "0.30000000000000004", "0.1e1", "123456789012345678", "1234567890123456789",
        "12345678901234567890", "9007199254740992", "9007199254740993", "9007199254740995", "9007199254740993.0",
        "18446744073709551615", "18446744073709551616", "1.7976931348623157e308", "1.7976931348623159e308",
        "1e308", "1e309", "-1e309", "2.2250738585072014e-308", "2.2250738585072011e-308", "4.9e-324",
        "5e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400", "-1e-400",
        "3.141592653589793238462643383279502884197", "2.718281828459045", "0.000001", "1e-7",
        "123.456e-5", "0.0000000000000000000000000000001234", "1000000000000000000000000", "4.35", "8.875",
        "53.6", "11.45", "22.487", "99999999999999999999e-20", "7.038531e-26", "1e+0000000000000000001",
        "1e-99999999999999999999", "1e99999999999999999999", "0.5e-22", "9.5e21", "123456789e-22",
        "nan", "NaN", "-nan", "NAN", "inf", "-inf", "+inf", "Inf", "INF", "infinity", "-Infinity", "INFINITY",
    ]
    for text in cases { expectStrtod(text) }
}

@Test func floatSyntaxIsRefusedLikeTheReaderDocuments() {
    for text in ["", "-", "+", ".", "-.", "e5", ".e5", "1e", "1e+", "1.5x", "1..5", "1e5.5", "0x10", " 1", "1 ",
                 "infinit", "nana", "in", "1,5", "--1", "+-1", "1e--5"] {
        #expect(parse(text) == nil, "\(text) was accepted")
    }
    // Inference keeps zero-padded numbers as text; an explicit double column reads them.
    let padded = Array("007.5".utf8)
    padded.withUnsafeBufferPointer { b in
        #expect(ByteParsing.double(b.baseAddress!, b.count, leadingZeros: false) == nil)
        #expect(ByteParsing.double(b.baseAddress!, b.count, leadingZeros: true) == 7.5)
    }
}

@Test(arguments: 0..<4)
func randomFloatTextsMatchStrtod(seed: Int) {
    var rng = SeededGenerator(seed: UInt64(seed) &+ 900)
    for _ in 0..<20_000 {
        // Random digit strings: short and long mantissas, a point anywhere, exponents near
        // and beyond the fast path's ±22, leading zeros.
        var text = Bool.random(using: &rng) ? "-" : ""
        let digits = Int.random(in: 1...24, using: &rng)
        let point = Int.random(in: 0...digits, using: &rng)
        for k in 0..<digits {
            if k == point && k > 0 { text += "." }
            text += String(Int.random(in: 0...9, using: &rng))
        }
        if Int.random(in: 0..<3, using: &rng) == 0 { text += "e\(Int.random(in: -40...40, using: &rng))" }
        expectStrtod(text)
        // Doubles printed in their shortest form, with 17 and 15 digits, and with 3 decimals.
        let v = Double(bitPattern: UInt64.random(in: 0..<0x7FF0_0000_0000_0000, using: &rng))
        let u = Double.random(in: 0..<1000, using: &rng)
        for t in [v.description, String(format: "%.17g", v), String(format: "%.15g", u), String(format: "%.3f", u),
                  String(format: "%.17g", u), String(format: "%.6e", u)] {
            expectStrtod(t)
        }
    }
}
