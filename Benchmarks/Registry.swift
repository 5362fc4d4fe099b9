/// Every workload `sluice-bench` knows, by name. Each area adds its list here.
enum Registry {
    /// In run order; generating data last keeps its write-back from disturbing the reads.
    static let all: [Workload] = computeWorkloads + csvWorkloads + pipelineWorkloads + balanceWorkloads + boostingWorkloads
        + learnerWorkloads + sparseWorkloads + treeWorkloads + neuralWorkloads + postgresWorkloads + jobWorkloads + dataWorkloads
        + reportWorkloads + kernelSVMWorkloads

    static func workload(named name: String) -> Workload? { all.first { $0.name == name } }
}
