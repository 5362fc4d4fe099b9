import Testing
import SluiceCSV
import SluiceFrame

@Test func raggedRowWithTooManyFieldsNamesLineAndColumn() {
    let e = readError("a,b\n1,2\n3,4,5\n")
    #expect(e?.kind == .raggedRow(expected: 2, actual: 3))
    #expect(e?.line == 3 && e?.column == 3)
    #expect(e?.description == "t.csv:3:3: expected 2 fields, saw 3")
}

@Test func raggedRowWithTooFewFields() {
    let e = readError("a,b,c\n1,2,3\n\n4,5\n")
    #expect(e?.kind == .raggedRow(expected: 3, actual: 2))
    #expect(e?.line == 4 && e?.column == 3)
}

@Test func unterminatedQuoteNamesTheLineWhereItOpened() {
    let e = readError("a,b\n1,2\n3,\"open\nmore\nstill\n")
    #expect(e?.kind == .unterminatedQuote)
    #expect(e?.line == 3 && e?.column == 2)
}

@Test func strayQuoteInUnquotedFieldInStrictMode() {
    let e = readError("a,b\n1,2\n3,x\"y\n") { $0.quoting = .strict }
    #expect(e?.kind == .strayQuote)
    #expect(e?.line == 3 && e?.column == 2)
}

@Test func textAfterClosingQuoteInStrictMode() {
    let e = readError("a,b\n\"x\"y,2\n")
    #expect(e?.kind == .strayQuote)
    #expect(e?.line == 2 && e?.column == 1)
}

@Test func lenientQuotingKeepsStrayQuotes() throws {
    let f = try read("a,b\n3,x\"y\n") { $0.quoting = .lenient }
    #expect(try strings(f, "b") == ["x\"y"])
}

@Test func invalidUTF8NamesItsPlace() {
    let e = readError(bytes: Array("a,b\n1,ok\n2,".utf8) + [0xC3, 0x28] + Array("\n".utf8))
    #expect(e?.kind == .invalidUTF8)
    #expect(e?.line == 3 && e?.column == 2)
}

@Test func nulByteNamesItsPlace() {
    let e = readError(bytes: Array("a,b\n1,x\n2,y".utf8) + [0] + Array("z\n".utf8))
    #expect(e?.kind == .nulByte)
    #expect(e?.line == 3 && e?.column == 2)
}

@Test func fieldOverTheSizeCapFailsWithItsPlace() {
    let big = String(repeating: "x", count: 5000)
    let e = readError("a,b\n1,2\n3,\"\(big)\"\n") { $0.maxFieldBytes = 1000 }
    #expect(e?.kind == .fieldTooLarge(limit: 1000))
    #expect(e?.line == 3 && e?.column == 2)
}

@Test func fieldAtTheSizeCapIsRead() throws {
    let f = try read("a\n" + String(repeating: "y", count: 1000) + "\n") { $0.maxFieldBytes = 1000 }
    #expect(try strings(f, "a")[0]?.count == 1000)
}

@Test func duplicateHeaderName() {
    let e = readError("a,b,a\n1,2,3\n")
    #expect(e?.kind == .duplicateHeader("a"))
    #expect(e?.line == 1 && e?.column == 3)
}

@Test func emptyHeaderName() {
    let e = readError("a,,c\n1,2,3\n")
    #expect(e?.kind == .emptyHeader)
    #expect(e?.line == 1 && e?.column == 2)
}

@Test func emptyFile() {
    #expect(readError("")?.kind == .emptyFile)
    #expect(readError("\n\n")?.kind == .emptyFile)
    #expect(readError("")?.description == "t.csv: file is empty (no header record)")
}

@Test func missingFile() {
    #expect(throws: CSVError(.fileNotFound, file: "/nonexistent/x.csv")) { try CSVReader().read(path: "/nonexistent/x.csv") }
}

@Test func tooManyColumns() {
    let e = readError("a,b,c,d\n") { $0.maxColumns = 3 }
    #expect(e?.kind == .tooManyColumns(limit: 3))
    #expect(e?.line == 1 && e?.column == 4)
}

@Test func valueThatDoesNotFitAnExplicitType() {
    let e = readError("a,b\n1,2\n3,x\n") { $0.columnTypes = ["b": .int64] }
    #expect(e?.kind == .invalidValue(text: "x", type: .int64))
    #expect(e?.line == 3 && e?.column == 2)
}

@Test func errorPlaceCountsQuotedNewlinesAsLines() {
    let e = readError("a,b\n\"x\ny\",1\n2\n")
    #expect(e?.kind == .raggedRow(expected: 2, actual: 1))
    #expect(e?.line == 4)
}

@Test func lenientModeSkipsAndReportsBadRows() throws {
    var o = CSVReadOptions()
    o.badRows = .skip
    o.quoting = .strict
    let text = "a,b\n1,2\n3\n4,x\"y\n5,6,7\n8,9\n"
    let r = try CSVReader(o).readResult(bytes: Array(text.utf8), name: "t.csv")
    #expect(try r.frame.int64s("a") == [1, 8])
    #expect(r.badRows.map(\.line) == [3, 4, 5])
    #expect(r.badRows[0].error.kind == .raggedRow(expected: 2, actual: 1))
    #expect(r.badRows[1].error.kind == .strayQuote)
    #expect(r.badRows[2].error.description == "t.csv:5:3: expected 2 fields, saw 3")
    #expect(r.badRows[2].fields == ["5", "6", "7"])
}

@Test func lenientModeSkipsInvalidUTF8Rows() throws {
    var o = CSVReadOptions()
    o.badRows = .skip
    let bytes = Array("a\nok\n".utf8) + [0xFF] + Array("\nfine\n".utf8)
    let r = try CSVReader(o).readResult(bytes: bytes, name: "t.csv")
    #expect(try strings(r.frame, "a") == ["ok", "fine"])
    #expect(r.badRows.first?.error.kind == .invalidUTF8)
    #expect(r.badRows.first?.line == 3)
}
