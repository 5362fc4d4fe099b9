import Foundation
import Testing
@testable import SluiceJobs
import SluicePostgres

@Suite("cron schedules in a time zone")
struct ScheduleTests {
    func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test("fields: lists, ranges, steps, names, macros; errors name the field")
    func parsing() throws {
        let c = try CronExpression("*/15 9-17 * JAN,jul MON-FRI")
        #expect(c.minutes == [0, 15, 30, 45])
        #expect(c.hours == Set(9...17))
        #expect(c.months == [1, 7])
        #expect(c.weekdays == Set(1...5))
        #expect(try CronExpression("@daily") .hours == [0])
        #expect(try CronExpression("0 0 * * 7").weekdays == [0])
        #expect(try CronExpression("5 1-10/3 * * *").hours == [1, 4, 7, 10])
        for bad in ["* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "5-1 * * * *", "*/0 * * * *", "x * * * *"] {
            #expect(throws: ScheduleError.self) { try CronExpression(bad) }
        }
        #expect(throws: ScheduleError.self) { try Schedule(cron: "@daily", timeZone: "Mars/Olympus") }
    }

    @Test("next and previous fire times, in UTC and across a month end")
    func nextAndPrevious() throws {
        let s = Schedule.daily(at: 2, 30)
        #expect(s.next(after: utc("2026-12-01T00:00:00Z")) == utc("2026-12-01T02:30:00Z"))
        #expect(s.next(after: utc("2026-12-01T02:30:00Z")) == utc("2026-12-02T02:30:00Z"))
        #expect(s.next(after: utc("2026-12-31T03:00:00Z")) == utc("2027-01-01T02:30:00Z"))
        #expect(s.previous(atOrBefore: utc("2026-12-01T02:30:00Z")) == utc("2026-12-01T02:30:00Z"))
        #expect(s.previous(atOrBefore: utc("2026-12-01T02:29:00Z")) == utc("2026-11-30T02:30:00Z"))
        let weekly = Schedule.weekly(on: .sunday, at: 0)
        #expect(weekly.next(after: utc("2026-12-01T00:00:00Z")) == utc("2026-12-06T00:00:00Z"))  // a Sunday
        #expect(weekly.fires(on: LogicalDate("2026-12-06")!))
        #expect(!weekly.fires(on: LogicalDate("2026-12-07")!))
    }

    @Test("day of month and day of week together: either fires (Vixie cron)")
    func domOrDow() throws {
        let s = try Schedule(cron: "0 12 13 * FRI")
        #expect(s.fires(on: LogicalDate("2026-12-13")!))  // a Sunday, the 13th
        #expect(s.fires(on: LogicalDate("2026-12-04")!))  // a Friday
        #expect(!s.fires(on: LogicalDate("2026-12-05")!))
    }

    @Test("time zones: wall-clock times; a time in a daylight-saving gap is skipped, a repeated hour fires once")
    func daylightSaving() throws {
        let berlin = try Schedule(cron: "30 2 * * *", timeZone: "Europe/Berlin")
        // 2026-03-29: clocks jump from 02:00 to 03:00 in Berlin; 02:30 does not exist.
        let after = berlin.next(after: utc("2026-03-28T12:00:00Z"))
        #expect(after == utc("2026-03-30T00:30:00Z"))  // 02:30 CEST on the 30th
        // 2026-10-25: 02:30 happens twice; it fires once.
        let first = try #require(berlin.next(after: utc("2026-10-24T12:00:00Z")))
        let second = try #require(berlin.next(after: first))
        #expect(second.timeIntervalSince(first) > 23 * 3600)
        #expect(berlin.logicalDate(of: utc("2026-12-01T23:30:00Z")) == LogicalDate("2026-12-02")!)
    }

    @Test("retry backoff doubles up to its cap")
    func backoff() {
        let p = RetryPolicy(maxAttempts: 5, initialDelay: .seconds(10), multiplier: 2, maxDelay: .seconds(35))
        #expect(p.delay(after: 1) == .seconds(10))
        #expect(p.delay(after: 2) == .seconds(20))
        #expect(p.delay(after: 3) == .seconds(35))
    }

    @Test("reject policy: by count and by fraction")
    func rejectPolicy() {
        #expect(RejectPolicy(maxCount: nil, maxFraction: 0.05).allows(rejected: 5, of: 100))
        #expect(!RejectPolicy(maxCount: nil, maxFraction: 0.05).allows(rejected: 6, of: 100))
        #expect(!RejectPolicy(maxCount: 2, maxFraction: nil).allows(rejected: 3, of: 1000))
    }

    @Test("population stability: zero for the same distribution, large for a shifted one")
    func psi() throws {
        let same = PopulationStability.index(expected: [0.25, 0.25, 0.25, 0.25], actualCounts: [25, 25, 25, 25])
        #expect(abs(same) < 1e-12)
        let shifted = PopulationStability.index(expected: [0.25, 0.25, 0.25, 0.25], actualCounts: [0, 0, 10, 90])
        #expect(shifted > 1)
    }

    @Test("job names and settings are checked")
    func jobValidation() throws {
        let bad = customerJob("no spaces", train: "t", score: "s")
        #expect(throws: JobError.self) { try bad.validate() }
        var long = customerJob("ok", train: "t", score: "s")
        long.predictions = PredictionTable(TableName(String(repeating: "p", count: 40)))
        #expect(throws: JobError.self) { try long.validate() }
        try customerJob("ok-1", train: "t", score: "s").validate()
    }
}
