// swift-tools-version: 6.0
import PackageDescription

/// Sluice: nightly batch machine learning on Linux, in one compiled program.
/// The layout follows DESIGN.md: tiny system-library shims, one compute core,
/// the frame, connectors in `connectors/`, the user's pipelines in `pipelines/`.
let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Sluice", targets: ["Sluice"]),
        .executable(name: "sluice", targets: ["sluice"]),
        .executable(name: "sluice-bench", targets: ["sluice-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // SHA-256 checksums and HMAC signatures of artifacts.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // Structured logs of runs and the scheduler daemon's services and signals.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // System libraries (Debian: libcsv-dev, libpq-dev, libopenblas-dev, liblapacke-dev).
        .systemLibrary(name: "CLibCSV", path: "Sources/CLibCSV"),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),

        // Vectorised libm (glibc libmvec), chosen at run time by CPU, and OpenBLAS core selection.
        .target(
            name: "CSluiceKernels",
            linkerSettings: [.linkedLibrary("mvec"), .linkedLibrary("m"), .linkedLibrary("openblas")]
        ),
        .target(name: "SluiceCompute", dependencies: ["COpenBLAS", "CSluiceKernels"]),
        .target(name: "SluiceFrame", dependencies: ["SluiceCompute"]),
        .target(
            name: "SluicePipeline",
            dependencies: ["SluiceCompute", "SluiceFrame", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "SluiceLearn", dependencies: ["SluiceCompute", "SluiceFrame", "SluicePipeline"]),
        .target(name: "SluiceNeural", dependencies: ["SluiceCompute", "SluiceFrame", "SluicePipeline"]),
        // Verifiers every stage, sampler and learner kind runs (scikit-learn's estimator_checks).
        .target(
            name: "SluiceConformance",
            dependencies: ["SluiceCompute", "SluiceFrame", "SluicePipeline", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "SluiceCSV", dependencies: ["SluiceFrame", "CLibCSV"], path: "connectors/CSV"),
        .target(name: "SluicePostgres", dependencies: ["SluiceFrame", "CLibPQ"], path: "connectors/Postgres"),
        .target(name: "SluiceDatasets", dependencies: ["SluiceCompute", "SluiceFrame"]),
        // Evaluation and run reports: one self-contained HTML page with inline SVG charts, or JSON.
        .target(name: "SluiceReport", dependencies: ["SluiceCompute", "SluiceFrame", "SluicePipeline"]),
        // Jobs: definitions, the run ledger, the model store, publishing, the scheduler.
        .target(
            name: "SluiceJobs",
            dependencies: [
                "SluiceCompute", "SluiceFrame", "SluicePipeline", "SluiceLearn", "SluiceCSV", "SluicePostgres", "SluiceReport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "SluiceCLI",
            dependencies: [
                "SluiceCompute", "SluiceFrame", "SluicePipeline", "SluiceLearn", "SluiceCSV", "SluicePostgres",
                "SluiceDatasets", "SluiceJobs", "SluiceNeural", "SluiceReport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Sluice",
            dependencies: ["SluiceCompute", "SluiceFrame", "SluicePipeline", "SluiceLearn", "SluiceNeural", "SluiceConformance",
                           "SluiceCSV", "SluicePostgres", "SluiceDatasets", "SluiceJobs", "SluiceReport", "SluiceCLI"]
        ),

        .executableTarget(name: "sluice", dependencies: ["Sluice"], path: "pipelines"),
        .executableTarget(
            name: "churn-example",
            dependencies: ["Sluice", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "examples/churn"
        ),
        .executableTarget(name: "digits-cnn", dependencies: ["Sluice"], path: "examples/digits-cnn", exclude: ["digits.csv"]),
        .executableTarget(name: "tabular-mlp", dependencies: ["Sluice"], path: "examples/tabular-mlp"),
        .executableTarget(name: "text-classifier", dependencies: ["Sluice"], path: "examples/text-classifier"),
        .executableTarget(
            name: "sluice-bench",
            dependencies: ["Sluice", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks",
            exclude: ["peers"]
        ),

        // Tests: a shared support target with seeded data and approximate comparison.
        .target(name: "SluiceTestSupport", dependencies: ["SluiceCompute"], path: "Tests/SluiceTestSupport"),
        // One throwaway PostgreSQL server shared by the tests of a process.
        .target(name: "SluicePostgresTestSupport", dependencies: ["SluicePostgres", "SluiceTestSupport"],
                path: "Tests/SluicePostgresTestSupport"),
        .testTarget(name: "SluiceComputeTests", dependencies: ["SluiceCompute", "SluiceTestSupport"]),
        .testTarget(name: "SluiceFrameTests", dependencies: ["SluiceFrame", "SluiceTestSupport"]),
        .testTarget(name: "SluiceCSVTests", dependencies: ["SluiceCSV", "SluiceTestSupport"]),
        .testTarget(
            name: "SluicePipelineTests",
            dependencies: ["SluicePipeline", "SluiceLearn", "SluiceTestSupport"],
            exclude: ["Scripts"],
            resources: [.copy("Expectations")]
        ),
        .testTarget(
            name: "SluiceConformanceTests",
            dependencies: ["SluiceConformance", "SluicePipeline", "SluiceLearn", "SluiceNeural", "SluiceTestSupport"],
            exclude: ["Golden"]
        ),
        .testTarget(name: "SluiceDatasetsTests", dependencies: ["SluiceDatasets", "SluiceCSV", "SluiceTestSupport"]),
        .testTarget(
            name: "SluiceCLITests",
            dependencies: ["SluiceCLI", "SluiceCSV", "SluicePipeline", "SluiceLearn", "SluiceDatasets", "SluiceConformance",
                           "SluiceTestSupport", "SluicePostgresTestSupport", "sluice"]
        ),
        .testTarget(name: "SluicePostgresTests", dependencies: ["SluicePostgres", "SluiceTestSupport", "SluicePostgresTestSupport"]),
        .testTarget(
            name: "SluiceJobsTests",
            dependencies: ["SluiceJobs", "SluiceCompute", "SluiceFrame", "SluicePostgres", "SluicePipeline", "SluiceLearn", "SluiceCSV",
                           "SluiceDatasets",
                           "SluiceTestSupport", "SluicePostgresTestSupport", "sluice"]
        ),
        .testTarget(
            name: "SluiceReportTests",
            dependencies: ["SluiceReport", "SluicePipeline", "SluiceLearn", "SluiceNeural", "SluiceCSV", "SluiceDatasets",
                           "SluiceTestSupport"],
            exclude: ["Scripts"],
            resources: [.copy("Expectations")]
        ),
        .testTarget(
            name: "SluiceNeuralTests",
            dependencies: ["SluiceNeural", "SluicePipeline", "SluiceTestSupport"],
            exclude: ["Scripts"],
            resources: [.copy("Expectations")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
