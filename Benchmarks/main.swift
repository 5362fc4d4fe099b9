print("sluice-bench")
