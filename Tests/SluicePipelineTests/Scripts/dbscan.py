#!/usr/bin/env python3
"""Writes scikit-learn's DBSCAN labels and core samples to Expectations/dbscan.json for
DBSCANParityTests.swift. Run from the repository root with scikit-learn installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/dbscan.py
Features are standardised as the tests do: (x - mean) / std, population std."""
import json, os, numpy as np, pandas as pd, sklearn
from sklearn.cluster import DBSCAN

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy()

def std(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)

out = {"sklearn": sklearn.__version__}
for key, name, kwargs, weighted in [("dbscan_iris", "iris", {"eps": 0.6, "min_samples": 5}, False),
                                    ("dbscan_wine_manhattan", "wine", {"eps": 6.0, "min_samples": 4, "metric": "manhattan"}, False),
                                    ("dbscan_iris_weighted", "iris", {"eps": 0.5, "min_samples": 8}, True)]:
    x, _ = load(name)
    xs = std(x)
    w = (1 + np.arange(len(xs)) % 3).astype(float) if weighted else None
    m = DBSCAN(**kwargs).fit(xs, sample_weight=w)
    out[key] = {"labels": m.labels_.tolist(), "core": m.core_sample_indices_.tolist()}

with open(os.path.join(HERE, "..", "Expectations", "dbscan.json"), "w") as f:
    json.dump(out, f, indent=1)
