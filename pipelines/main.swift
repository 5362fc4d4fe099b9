import Sluice

await SluiceCLI.main()
