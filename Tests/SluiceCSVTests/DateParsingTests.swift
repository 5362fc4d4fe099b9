import Testing
@testable import SluiceCSV
import SluiceFrame

private func isoDate(_ text: String) -> Int32? {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { b in b.baseAddress.flatMap { ByteParsing.isoDate($0, b.count) } }
}

/// The inline ISO date parser agrees with CalendarDate on every day of years 0000–9999.
@Test func isoDatesMatchCalendarDateOnEveryDay() {
    let first = CalendarDate.days(year: 0, month: 1, day: 1), last = CalendarDate.days(year: 9999, month: 12, day: 31)
    var mismatches = 0
    for day in first...last {
        let text = CalendarDate.format(days: Int32(day))
        if isoDate(text) != Int32(day) { mismatches += 1 }
    }
    #expect(mismatches == 0)
}

@Test func invalidIsoDatesAreRefused() {
    for text in ["2021-02-29", "2100-02-29", "2020-02-30", "2021-04-31", "2021-13-01", "2021-00-10", "2021-01-00",
                 "2021-01-32", "2021-1-010", "abcd-01-01", "2021/01/01", "2021-01-1", "2021-01-011", "-021-01-01",
                 "2021-0a-01", "2021-01-0:"] {
        #expect(isoDate(text) == nil, "\(text)")
    }
    #expect(isoDate("2000-02-29") == Int32(CalendarDate.days(year: 2000, month: 2, day: 29)))
    #expect(isoDate("1970-01-01") == 0)
}
