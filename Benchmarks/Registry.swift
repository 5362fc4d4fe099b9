/// Every workload `sluice-bench` knows, by name. Each area adds its list here.
enum Registry {
    static let all: [Workload] = computeWorkloads + dataWorkloads + csvWorkloads + pipelineWorkloads
        + balanceWorkloads + postgresWorkloads

    static func workload(named name: String) -> Workload? { all.first { $0.name == name } }
}
