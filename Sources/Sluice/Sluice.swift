// The umbrella module: `import Sluice` brings in every public Sluice module.
@_exported import SluiceCompute
@_exported import SluiceFrame
@_exported import SluicePipeline
@_exported import SluiceLearn
@_exported import SluiceNeural
@_exported import SluiceConformance
@_exported import SluiceCSV
@_exported import SluicePostgres
@_exported import SluiceDatasets
@_exported import SluiceJobs
@_exported import SluiceReport
@_exported import SluiceCLI
