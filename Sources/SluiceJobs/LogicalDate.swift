import Foundation
import SluiceFrame

/// The night a run is for: a calendar date, independent of when the run happens to start.
/// Re-running a logical date replaces that date's predictions.
public struct LogicalDate: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// Days since 1970-01-01.
    public var days: Int32

    public init(days: Int32) { self.days = days }

    /// Parses `YYYY-MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), d >= 1, d <= CalendarDate.daysInMonth(year: y, month: m) else { return nil }
        days = Int32(CalendarDate.days(year: y, month: m, day: d))
    }

    /// The calendar date `year-month-day` (not checked).
    public init(year: Int, month: Int, day: Int) {
        days = Int32(CalendarDate.days(year: year, month: month, day: day))
    }

    /// The date `n` days later (earlier when negative).
    public func adding(days n: Int) -> LogicalDate { LogicalDate(days: days + Int32(n)) }

    /// Year, month and day.
    public var civil: (year: Int, month: Int, day: Int) { CalendarDate.civil(days: Int(days)) }

    /// The date of `instant` in `timeZone`.
    public init(_ instant: Date, in timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: instant)
        days = Int32(CalendarDate.days(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1))
    }

    /// `YYYY-MM-DD`.
    public var description: String { CalendarDate.format(days: days) }
    /// `YYYYMMDD`, for table names.
    public var compact: String { description.replacingOccurrences(of: "-", with: "") }

    public static func < (a: LogicalDate, b: LogicalDate) -> Bool { a.days < b.days }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let d = LogicalDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date: \(text)"))
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
