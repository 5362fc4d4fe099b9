import Foundation

/// A day of the week, numbered as cron numbers it (Sunday 0).
public enum Weekday: Int, Sendable, CaseIterable {
    case sunday = 0, monday, tuesday, wednesday, thursday, friday, saturday
}

/// When a job fires: a cron expression read in a time zone.
///
/// Times are wall-clock times of `timeZone`. On the night a daylight-saving change skips an
/// hour, a time inside the gap does not fire; when an hour repeats, a time in it fires once,
/// at its first occurrence.
public struct Schedule: Sendable, Equatable, CustomStringConvertible {
    /// The expression.
    public var cron: CronExpression
    /// The time zone's identifier (`UTC`, `Europe/Berlin`).
    public var timeZoneIdentifier: String

    /// `expression` (five fields or a macro such as `@daily`) in `timeZone`.
    public init(cron expression: String, timeZone: String = "UTC") throws(ScheduleError) {
        guard TimeZone(identifier: timeZone) != nil else { throw ScheduleError(expression: expression, reason: "unknown time zone '\(timeZone)'") }
        cron = try CronExpression(expression)
        timeZoneIdentifier = timeZone
    }

    init(checked cron: CronExpression, timeZone: String) {
        self.cron = cron
        self.timeZoneIdentifier = timeZone
    }

    /// Every day at `hour:minute`.
    public static func daily(at hour: Int, _ minute: Int = 0, timeZone: String = "UTC") -> Schedule {
        Schedule(checked: CronExpression(minutes: [minute], hours: [hour]), timeZone: timeZone)
    }

    /// Every week on `weekday` at `hour:minute`.
    public static func weekly(on weekday: Weekday, at hour: Int, _ minute: Int = 0, timeZone: String = "UTC") -> Schedule {
        Schedule(checked: CronExpression(minutes: [minute], hours: [hour], weekdays: [weekday.rawValue]), timeZone: timeZone)
    }

    /// Every hour at `minute`.
    public static func hourly(at minute: Int = 0, timeZone: String = "UTC") -> Schedule {
        Schedule(checked: CronExpression(minutes: [minute], hours: Set(0..<24)), timeZone: timeZone)
    }

    public var description: String { "\(cron) (\(timeZoneIdentifier))" }

    var timeZone: TimeZone { TimeZone(identifier: timeZoneIdentifier) ?? TimeZone(secondsFromGMT: 0)! }

    private var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        return c
    }

    /// Whether the schedule fires at some time of local date `date`.
    public func fires(on date: LogicalDate) -> Bool {
        let (y, m, d) = date.civil
        return cron.matches(year: y, month: m, day: d, weekday: ((Int(date.days) + 4) % 7 + 7) % 7)
    }

    /// The first fire time strictly after `instant`, within the next 5 years.
    public func next(after instant: Date) -> Date? {
        let start = LogicalDate(instant, in: timeZone)
        for offset in 0..<(366 * 5) {
            let day = start.adding(days: offset)
            guard fires(on: day) else { continue }
            for hour in cron.hours.sorted() {
                for minute in cron.minutes.sorted() {
                    if let t = time(day, hour, minute), t > instant { return t }
                }
            }
        }
        return nil
    }

    /// The last fire time at or before `instant`, within the past 5 years.
    public func previous(atOrBefore instant: Date) -> Date? {
        let start = LogicalDate(instant, in: timeZone)
        for offset in 0..<(366 * 5) {
            let day = start.adding(days: -offset)
            guard fires(on: day) else { continue }
            for hour in cron.hours.sorted(by: >) {
                for minute in cron.minutes.sorted(by: >) {
                    if let t = time(day, hour, minute), t <= instant { return t }
                }
            }
        }
        return nil
    }

    /// The logical date of a fire time: its local date.
    public func logicalDate(of instant: Date) -> LogicalDate { LogicalDate(instant, in: timeZone) }

    /// `day hour:minute` in the time zone, or `nil` when a daylight-saving gap skips it.
    private func time(_ day: LogicalDate, _ hour: Int, _ minute: Int) -> Date? {
        let (y, m, d) = day.civil
        let calendar = self.calendar
        guard let t = calendar.date(from: DateComponents(year: y, month: m, day: d, hour: hour, minute: minute)) else { return nil }
        let back = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: t)
        guard back.year == y, back.month == m, back.day == d, back.hour == hour, back.minute == minute else { return nil }
        return t
    }
}

/// A five-field cron expression: minute, hour, day of month, month, day of week.
///
/// Each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of
/// these; months and weekdays also take names (`JAN`, `MON`); weekday 7 is Sunday as 0 is.
/// As in Vixie cron, when both the day of month and the day of week are restricted, a day
/// matching either fires. Macros: `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly`,
/// `@yearly` (`@annually`).
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public var minutes: Set<Int>
    public var hours: Set<Int>
    public var days: Set<Int>
    public var months: Set<Int>
    public var weekdays: Set<Int>
    /// Whether the day-of-month field was `*` (unrestricted).
    var anyDay: Bool
    /// Whether the day-of-week field was `*` (unrestricted).
    var anyWeekday: Bool
    /// The text it was parsed from.
    public var description: String

    init(minutes: Set<Int>, hours: Set<Int>, weekdays: Set<Int>? = nil) {
        self.minutes = minutes
        self.hours = hours
        days = Set(1...31)
        months = Set(1...12)
        self.weekdays = weekdays ?? Set(0...6)
        anyDay = true
        anyWeekday = weekdays == nil
        let dow = weekdays.map { $0.sorted().map(String.init).joined(separator: ",") } ?? "*"
        description = "\(minutes.sorted().map(String.init).joined(separator: ",")) \(hours.count == 24 ? "*" : hours.sorted().map(String.init).joined(separator: ",")) * * \(dow)"
    }

    /// Parses `text`.
    public init(_ text: String) throws(ScheduleError) {
        let macros = ["@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
                      "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expanded = macros[trimmed.lowercased()] ?? trimmed
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ScheduleError(expression: text, reason: "a cron expression has 5 fields (minute hour day month weekday), got \(fields.count)")
        }
        let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        minutes = try Self.field(fields[0], 0...59, name: "minute", text: text)
        hours = try Self.field(fields[1], 0...23, name: "hour", text: text)
        days = try Self.field(fields[2], 1...31, name: "day of month", text: text)
        months = try Self.field(fields[3], 1...12, name: "month", names: monthNames, base: 1, text: text)
        let dow = try Self.field(fields[4], 0...7, name: "day of week", names: dayNames, base: 0, text: text)
        weekdays = Set(dow.map { $0 == 7 ? 0 : $0 })
        anyDay = fields[2] == "*" || fields[2] == "?"
        anyWeekday = fields[4] == "*" || fields[4] == "?"
        description = trimmed
    }

    /// Whether the date (weekday 0 = Sunday) is a firing day.
    func matches(year: Int, month: Int, day: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        switch (anyDay, anyWeekday) {
        case (true, true): return true
        case (false, true): return days.contains(day)
        case (true, false): return weekdays.contains(weekday)
        case (false, false): return days.contains(day) || weekdays.contains(weekday)
        }
    }

    private static func field(_ f: String, _ range: ClosedRange<Int>, name: String, names: [String] = [], base: Int = 0,
                              text: String) throws(ScheduleError) -> Set<Int> {
        func value(_ s: Substring) throws(ScheduleError) -> Int {
            if let v = Int(s) {
                guard range.contains(v) else { throw ScheduleError(expression: text, reason: "\(name) \(v) is outside \(range.lowerBound)-\(range.upperBound)") }
                return v
            }
            if let i = names.firstIndex(of: s.uppercased()) { return i + base }
            throw ScheduleError(expression: text, reason: "'\(s)' is not a \(name)")
        }
        var out = Set<Int>()
        for part in f.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else { throw ScheduleError(expression: text, reason: "'\(part)' is not a \(name) field") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else { throw ScheduleError(expression: text, reason: "'\(pieces[1])' is not a step") }
                step = s
            }
            let lo: Int, hi: Int
            if pieces[0] == "*" || pieces[0] == "?" {
                lo = range.lowerBound; hi = range.upperBound
            } else if let dash = pieces[0].firstIndex(of: "-") {
                lo = try value(pieces[0][..<dash]); hi = try value(pieces[0][pieces[0].index(after: dash)...])
                guard lo <= hi else { throw ScheduleError(expression: text, reason: "the \(name) range \(pieces[0]) is backwards") }
            } else {
                lo = try value(pieces[0]); hi = pieces.count == 2 ? range.upperBound : lo
            }
            out.formUnion(stride(from: lo, through: hi, by: step))
        }
        return out
    }
}

/// A schedule that cannot be read, with the expression and the reason.
public struct ScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var expression: String
    public var reason: String
    public var description: String { "schedule '\(expression)': \(reason)" }
}
