import Foundation
import Logging
import ServiceLifecycle
import SluicePostgres
import Synchronization

/// The scheduler's notion of time, so tests can run a week of nights in a moment.
public protocol SchedulerClock: Sendable {
    /// The current instant.
    func now() -> Date
    /// Returns at `instant` (or throws when the task is cancelled).
    func sleep(until instant: Date) async throws
}

/// The system's wall clock.
public struct WallClock: SchedulerClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(until instant: Date) async throws {
        let seconds = instant.timeIntervalSinceNow
        if seconds > 0 { try await Task.sleep(for: .milliseconds(Int64(seconds * 1000))) }
    }
}

/// The `sluice schedule` daemon, a swift-service-lifecycle `Service`: fires each job at its
/// schedule's times, one run at a time, with the job's retry policy.
///
/// - On start it catches up only the latest missed fire time of each job (when the ledger
///   has no succeeded run for that logical date), never the whole backlog.
/// - A run that finds the job locked (another process runs it) is skipped, not retried.
/// - On graceful shutdown (SIGTERM, SIGINT) it starts nothing new; a run in progress stops
///   at its next phase or batch boundary and rolls back (a run already publishing finishes),
///   within the service group's grace period.
public struct JobScheduler: Service {
    public var jobs: [Job]
    public var clock: any SchedulerClock
    public var logger: Logger
    /// Makes the runner of a job (the database, codec, events and cancellation are set by
    /// the caller; the scheduler adds its own stop flag).
    public var runner: @Sendable (Job, _ isStopping: @escaping @Sendable () -> Bool) -> JobRunner
    /// Catch up the latest missed night of each job at start.
    public var catchUp: Bool
    /// Called after each fire, with the run's outcome.
    public var fired: (@Sendable (Job, LogicalDate, Result<RunResult, any Error>) -> Void)?

    public init(jobs: [Job], clock: any SchedulerClock = WallClock(), logger: Logger = Logger(label: "sluice.scheduler"),
                catchUp: Bool = true,
                runner: @escaping @Sendable (Job, _ isStopping: @escaping @Sendable () -> Bool) -> JobRunner,
                fired: (@Sendable (Job, LogicalDate, Result<RunResult, any Error>) -> Void)? = nil) {
        self.jobs = jobs
        self.clock = clock
        self.logger = logger
        self.catchUp = catchUp
        self.runner = runner
        self.fired = fired
    }

    public func run() async throws {
        let stopping = StopFlag()
        let scheduled = jobs.filter { $0.schedule != nil }
        guard !scheduled.isEmpty else {
            logger.warning("no job has a schedule; nothing to do")
            return
        }
        try await withGracefulShutdownHandler {
            let start = clock.now()
            var next: [String: Date] = [:]
            for job in scheduled {
                guard let schedule = job.schedule else { continue }
                next[job.name] = schedule.next(after: start)
                logger.info("scheduled", metadata: ["job": "\(job.name)", "schedule": "\(schedule)",
                                                    "next": "\(next[job.name].map { "\($0)" } ?? "never")"])
                if catchUp, let missed = schedule.previous(atOrBefore: start) {
                    let date = schedule.logicalDate(of: missed)
                    if try await !succeeded(job, date) {
                        logger.info("catching up the latest missed run", metadata: ["job": "\(job.name)", "logical_date": "\(date)"])
                        await fire(job, date, stopping)
                    }
                }
            }
            while !stopping.isSet, !Task.isCancelled {
                guard let (name, when) = next.min(by: { $0.value < $1.value }) else { return }
                do {
                    try await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(until: when) }
                } catch {
                    if stopping.isSet || Task.isCancelled { return }
                    throw error
                }
                guard let job = scheduled.first(where: { $0.name == name }), let schedule = job.schedule else { return }
                await fire(job, schedule.logicalDate(of: when), stopping)
                // Fire times missed while the run ran collapse into the latest of them.
                let following = schedule.next(after: when)
                let missed = schedule.previous(atOrBefore: clock.now()).flatMap { $0 > when ? $0 : nil }
                next[name] = [following, missed].compactMap { $0 }.max()
            }
        } onGracefulShutdown: {
            stopping.set()
        }
        logger.info("scheduler stopped")
    }

    private func fire(_ job: Job, _ date: LogicalDate, _ stopping: StopFlag) async {
        let runner = self.runner(job) { stopping.isSet }
        do {
            let result = try await runner.run(RunRequest(logicalDate: date), retrying: true)
            fired?(job, date, .success(result))
        } catch {
            if case JobError.locked? = error as? JobError {
                logger.warning("skipped: another process runs the job", metadata: ["job": "\(job.name)", "logical_date": "\(date)"])
            } else {
                logger.error("run failed", metadata: ["job": "\(job.name)", "logical_date": "\(date)", "error": "\(error)"])
            }
            fired?(job, date, .failure(error))
        }
    }

    private func succeeded(_ job: Job, _ date: LogicalDate) async throws -> Bool {
        let r = runner(job) { false }
        let c = try PostgresConnection(r.database)
        defer { c.close() }
        guard try c.rows("SELECT to_regclass('sluice.runs') IS NOT NULL").first?.first == "t" else { return false }
        return try !c.rows("SELECT 1 FROM sluice.runs WHERE job = $1 AND logical_date = $2 AND status = 'succeeded'",
                           [.string(job.name), .date(date.days)]).isEmpty
    }
}

/// A flag set once (by a signal handler, a graceful shutdown), read from any thread: what a
/// run's `isCancelled` reads.
public final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    public init() {}
    /// Sets the flag.
    public func set() { value.store(true, ordering: .relaxed) }
    /// Whether the flag is set.
    public var isSet: Bool { value.load(ordering: .relaxed) }
}
