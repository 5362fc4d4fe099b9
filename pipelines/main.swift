import Sluice

await SluiceCLI.run()
