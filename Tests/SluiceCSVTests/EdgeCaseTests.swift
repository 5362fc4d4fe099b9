import Testing
import SluiceCSV
import SluiceFrame

@Test func quotedNewlinesAndDelimitersStayInTheField() throws {
    let f = try read("a,b\n\"x\ny\",\"1,2\"\nz,w\n")
    #expect(try strings(f, "a") == ["x\ny", "z"])
    #expect(try strings(f, "b") == ["1,2", "w"])
}

@Test func doubledQuotesBecomeOneQuote() throws {
    let f = try read("a\n\"say \"\"hi\"\"\"\n\"\"\"\"\n")
    #expect(try strings(f, "a") == ["say \"hi\"", "\""])
}

@Test func byteOrderMarkIsSkipped() throws {
    let f = try read(bytes: [0xEF, 0xBB, 0xBF] + Array("id,name\n1,x\n".utf8))
    #expect(f.columnNames == ["id", "name"])
    #expect(try f.int64s("id") == [1])
}

@Test(arguments: ["\n", "\r\n", "\r"])
func everyLineEndStyleReadsTheSame(_ nl: String) throws {
    let f = try read("a,b" + nl + "1,x" + nl + "2,y" + nl)
    #expect(try f.int64s("a") == [1, 2])
    #expect(try strings(f, "b") == ["x", "y"])
}

@Test func mixedLineEndsReadAsRecords() throws {
    let f = try read("a\r\n1\n2\r3\r\n")
    #expect(try f.int64s("a") == [1, 2, 3])
}

@Test func emptyUnquotedFieldIsNullButQuotedEmptyIsEmptyString() throws {
    let f = try read("a,b\nx,\n,\"\"\n")
    #expect(try strings(f, "a") == ["x", nil])
    #expect(try strings(f, "b") == [nil, ""])
}

@Test func headerOnlyFileHasZeroRows() throws {
    let f = try read("a,b,c\n")
    #expect(f.rowCount == 0)
    #expect(f.columnNames == ["a", "b", "c"])
}

@Test func lastRowWithoutNewlineIsKept() throws {
    let f = try read("a,b\n1,2\n3,4")
    #expect(try f.int64s("b") == [2, 4])
}

@Test func thousandsOfColumns() throws {
    let n = 3000
    let header = (0..<n).map { "c\($0)" }.joined(separator: ",")
    let row = (0..<n).map { String($0) }.joined(separator: ",")
    let f = try read(header + "\n" + row + "\n" + row + "\n")
    #expect(f.columnCount == n)
    #expect(try f.int64s("c2999") == [2999, 2999])
}

@Test func spacesArePartOfUnquotedFieldsUnlessTrimmed() throws {
    let f = try read("a,b\n 5 ,x y\n")
    #expect(try strings(f, "a") == [" 5 "])
    let t = try read("a,b\n 5 ,x y\n") { $0.trimSpaces = true }
    #expect(try t.int64s("a") == [5])
    #expect(try strings(t, "b") == ["x y"])
}

@Test func leadingZeroIdsStayStrings() throws {
    let f = try read("id\n00123\n00456\n")
    #expect(f.schema["id"]?.type == .string)
    #expect(try strings(f, "id") == ["00123", "00456"])
}

@Test func nanAndInfinityAreDoubles() throws {
    let f = try read("x\n1.5\nNaN\ninf\n-inf\n")
    let x = try f.doubles("x")
    #expect(x[0] == 1.5 && x[1].isNaN && x[2] == .infinity && x[3] == -.infinity)
    #expect(try f.column("x").nullCount == 0)
}

@Test func integersPromoteToDoubleAcrossTheWholeColumn() throws {
    let f = try read("x\n1\n2\n2.5\n")
    #expect(try f.doubles("x") == [1, 2, 2.5])
}

@Test func aLateStringMakesTheWholeColumnStringWithOriginalText() throws {
    let f = try read("x,y\n1.50,1\n2,2\nabc,3\n")
    #expect(try strings(f, "x") == ["1.50", "2", "abc"])
    #expect(try f.int64s("y") == [1, 2, 3])
}

@Test func explicitTypesOverrideInference() throws {
    let f = try read("id,v\n00123,1\n7,2\n") { $0.columnTypes = ["id": .int64, "v": .double] }
    #expect(try f.int64s("id") == [123, 7])
    #expect(try f.doubles("v") == [1, 2])
}

@Test func nullTokensReadAsNull() throws {
    let f = try read("x,s\n1,NA\nNA,b\n") { $0.nullTokens = ["NA"] }
    #expect(try f.int64s("x")[0] == 1)
    #expect(try f.validity("x").isNull(1))
    #expect(try strings(f, "s") == [nil, "b"])
}

@Test func boolsDatesAndTimestampsAreInferred() throws {
    let f = try read("b,d,t\ntrue,2024-02-29,2024-01-01T10:20:30Z\nFALSE,1970-01-01,2024-01-01 00:00:00.5+01:00\n")
    #expect(try f.bools("b") == [true, false])
    #expect(try f.dates("d") == [19782, 0])
    #expect(try f.timestamps("t") == [1_704_104_430_000_000, 1_704_063_600_500_000])
}

@Test func datesPromoteToTimestamps() throws {
    let f = try read("t\n2024-01-01\n2024-01-01T12:00:00\n")
    #expect(try f.timestamps("t") == [1_704_067_200_000_000, 1_704_110_400_000_000])
}

@Test func customDateFormat() throws {
    let f = try read("d\n29/02/2024\n") {
        $0.dateFormat = .pattern("%d/%m/%Y")
        $0.columnTypes = ["d": .date]
    }
    #expect(try f.dates("d") == [19782])
}

@Test func invalidDatesAreText() throws {
    let f = try read("d\n2023-02-29\n")
    #expect(f.schema["d"]?.type == .string)
}

@Test func tabSeparatedWithCustomQuote() throws {
    let f = try read("a\tb\n'x\ty'\t2\n") {
        $0.delimiter = UInt8(ascii: "\t")
        $0.quote = UInt8(ascii: "'")
    }
    #expect(try strings(f, "a") == ["x\ty"])
}

@Test func noHeaderNamesColumns() throws {
    let f = try read("1,x\n2,y\n") { $0.hasHeader = false }
    #expect(f.columnNames == ["column_1", "column_2"])
    #expect(try f.int64s("column_1") == [1, 2])
}

@Test func allNullColumnIsNullableString() throws {
    let f = try read("a,b\n1,\n2,\n")
    #expect(f.schema["b"] == Field("b", .string, nullable: true))
    #expect(f.schema["a"]?.nullable == false)
}

@Test func doublesParseExactly() throws {
    let texts = ["0.1", "3.14159", "1e-5", "123456789012345678901234", "2.2250738585072014e-308", "-0.0", "9007199254740993", "1.7976931348623157e308"]
    // Typed: inferred, the integers past 2^53 here would make the column text (issue 9).
    let f = try read("x\n" + texts.joined(separator: "\n") + "\n") { $0.columnTypes = ["x": .double] }
    let x = try f.doubles("x")
    for (t, v) in zip(texts, x) { #expect(v.bitPattern == Double(t)?.bitPattern, "\(t)") }
}
