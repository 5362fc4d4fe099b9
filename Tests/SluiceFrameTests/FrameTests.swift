import Testing
import SluiceCompute
import SluiceFrame
import SluiceTestSupport

private func sample() throws -> Frame {
    try Frame([
        "id": .int64([1, 2, 3, 4]),
        "age": .double([31, nil, 45, .nan]),
        "plan": .string(["basic", "family", nil, "basic"]),
        "active": .bool([true, false, nil, true]),
    ])
}

@Test func typedAccessorReturnsValuesAndNullPlaceholders() throws {
    let f = try sample()
    let ages = try f.doubles("age")
    #expect(ages[0] == 31 && ages[1].isNaN && ages[3].isNaN)
    #expect(try f.validity("age").isNull(1))
    #expect(try f.validity("age").isValid(3), "NaN is a value, not a null")
    #expect(try f.strings("plan")[2] == nil)
    #expect(try f.int64s("id") == [1, 2, 3, 4])
}

@Test func wrongTypeAccessorNamesColumnAndTypes() throws {
    let f = try sample()
    #expect(throws: FrameError.typeMismatch(column: "plan", expected: .double, actual: .string)) { try f.doubles("plan") }
}

@Test func unknownColumnListsAvailableNames() throws {
    let f = try sample()
    #expect(throws: FrameError.unknownColumn("agee", available: ["id", "age", "plan", "active"])) { try f.column("agee") }
}

@Test func selectDropRenameKeepValues() throws {
    let f = try sample()
    let s = try f.selecting(["plan", "id"])
    #expect(s.columnNames == ["plan", "id"])
    #expect(try s.int64s("id") == [1, 2, 3, 4])
    #expect(try f.dropping(["age", "active"]).columnNames == ["id", "plan"])
    let r = try f.renaming(["age": "years"])
    #expect(r.columnNames == ["id", "years", "plan", "active"])
    #expect(throws: FrameError.duplicateColumn("id")) { try f.renaming(["age": "id"]) }
}

@Test func takeFilterSliceCopyTheRightRows() throws {
    let f = try sample()
    let t = try f.taking(rows: [3, 0, 0])
    #expect(try t.int64s("id") == [4, 1, 1])
    #expect(try t.strings("plan")[0] == "basic")
    let m = try f.filtered(by: [false, true, true, false])
    #expect(try m.int64s("id") == [2, 3])
    #expect(try m.validity("age").isNull(0))
    #expect(try m.validity("plan").isNull(1))
    #expect(f.slice(1..<3) == m)
    #expect(throws: FrameError.rowOutOfRange(index: 9, rowCount: 4)) { try f.taking(rows: [9]) }
    #expect(throws: FrameError.lengthMismatch(column: "<mask>", expected: 4, actual: 1)) { try f.filtered(by: [true]) }
}

@Test func concatenateMergesDictionaries() throws {
    let a = try Frame(["s": .string(["x", "y"])])
    let b = try Frame(["s": .string(["z", "x", nil])])
    let c = try Frame.concatenating([a, b])
    #expect(c.rowCount == 5)
    let s = try c.strings("s")
    #expect((0..<5).map { s[$0] } == ["x", "y", "z", "x", nil])
    #expect(s.dictionary == ["x", "y", "z"])
    let other = try Frame(["s": .int64([1])])
    #expect(throws: FrameError.self) { try Frame.concatenating([a, other]) }
}

@Test func setAddsOrReplacesColumns() throws {
    var f = try sample()
    try f.set("score", to: .double([1, 2, 3, 4]))
    #expect(f.columnNames.last == "score")
    try f.set("id", to: .string(["a", "b", "c", "d"]))
    #expect(f.schema["id"]?.type == .string)
    #expect(f.columnNames.first == "id")
    #expect(throws: FrameError.lengthMismatch(column: "x", expected: 4, actual: 2)) { try f.set("x", to: .double([1, 2])) }
    #expect(throws: FrameError.unexpectedNulls(column: "y", count: 1)) { try f.set("y", to: .double([1, nil, 3, 4]), nullable: false) }
}

@Test func describeReportsPandasStatistics() throws {
    let f = try Frame(["x": .double([1, 2, 3, 4, nil]), "s": .string(["a", "b", "a", nil, nil])])
    let d = f.describe()
    let x = try #require(d["x"])
    #expect(x.count == 4 && x.nullCount == 1)
    #expect(x.mean == 2.5 && x.min == 1 && x.max == 4)
    #expect(x.q25 == 1.75 && x.median == 2.5 && x.q75 == 3.25)
    #expect(isApproximatelyEqual(try #require(x.std), 1.2909944487358056))
    #expect(d["s"]?.distinct == 2)
    #expect(d.description.contains("distinct"))
}

@Test func matrixConvertsNumericColumnsRowMajor() throws {
    let f = try sample()
    let m: Matrix<Double> = try f.matrix(columns: ["id", "age", "active"])
    #expect(m.rows == 4 && m.columns == 3)
    #expect(m[0, 0] == 1 && m[0, 1] == 31 && m[0, 2] == 1)
    #expect(m[1, 1].isNaN && m[2, 2].isNaN)
    let g: Matrix<Float> = try f.matrix(columns: ["id"], as: Float.self)
    #expect(g[3, 0] == 4)
    #expect(throws: FrameError.nullInMatrix(column: "age", row: 1)) {
        let _: Matrix<Double> = try f.matrix(columns: ["age"], nulls: .error)
    }
    #expect(throws: FrameError.notNumeric(column: "plan", type: .string)) {
        let _: Matrix<Double> = try f.matrix(columns: ["plan"])
    }
}

@Test func printShowsHeaderTypesNullsAndElision() throws {
    let f = try sample()
    let text = f.formatted(maxRows: 2)
    #expect(text.contains("Frame: 4 rows × 4 columns"))
    #expect(text.contains("age (double)"))
    #expect(text.contains("null"))
    #expect(text.contains("… 2 more rows"))
}

@Test func validityMaskCountsAndAppends() {
    var m = ValidityMask(allValid: 70)
    #expect(m.words == nil && m.nullCount == 0)
    m.append(valid: false)
    #expect(m.count == 71 && m.nullCount == 1 && m.isNull(70) && m.isValid(69))
    let b = ValidityMask(valid: [true, false, true])
    #expect(b.appending(m).nullCount == 2)
}

@Test func frameRefusesMismatchedColumns() {
    #expect(throws: FrameError.lengthMismatch(column: "b", expected: 2, actual: 1)) {
        try Frame(["a": .int64([1, 2]), "b": .int64([1])])
    }
    #expect(throws: FrameError.duplicateColumn("a")) { try Schema([Field("a", .double), Field("a", .int64)]) }
}

@Test func datesFormatAsISO() {
    #expect(CalendarDate.format(days: 0) == "1970-01-01")
    #expect(CalendarDate.format(days: Int32(CalendarDate.days(year: 2024, month: 2, day: 29))) == "2024-02-29")
    #expect(CalendarDate.format(microseconds: -1) == "1969-12-31T23:59:59.999999Z")
}
