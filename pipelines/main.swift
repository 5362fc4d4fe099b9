// The `sluice` executable: the command line with this project's jobs registered. Each job
// is defined in its own file of this folder; adding one is a file and a line here.
import Sluice

await SluiceCLI.run(jobs: [ChurnJobs.nightly, ChurnJobs.csvDrop])
