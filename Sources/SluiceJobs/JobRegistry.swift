import Synchronization

/// The jobs the `sluice` executable knows: `pipelines/main.swift` registers them once, at
/// start (`SluiceCLI.run(jobs:)`), and the `list`, `run`, `schedule`, `history`, `models`
/// and `deploy` commands look them up by name.
public enum JobRegistry {
    private static let jobs = Mutex<[Job]>([])

    /// Adds `jobs` (a name registered twice is a configuration error when looked up).
    public static func register(_ new: [Job]) {
        jobs.withLock { $0 += new }
    }

    /// Every registered job, in registration order.
    public static var all: [Job] { jobs.withLock { $0 } }

    /// The job named `name`.
    public static func job(named name: String) throws(JobError) -> Job {
        let all = self.all
        let matching = all.filter { $0.name == name }
        guard let job = matching.first else { throw .unknownJob(name, known: all.map(\.name)) }
        guard matching.count == 1 else {
            throw .configuration(job: name, reason: "registered \(matching.count) times in pipelines/main.swift")
        }
        return job
    }
}
