#!/usr/bin/env python3
"""Writes scikit-learn's LinearSVR results (liblinear's dual coordinate descent, solvers 12 and 13)
to Expectations/linear_svr.json for LinearSVRParityTests.swift. Run from the repository root with
scikit-learn installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/linear_svr.py
Features are standardised as the tests do: (x - mean) / std, population std. The target is
diabetes' progression divided by 100. The tolerance is tight, so w (intercept included, which
liblinear penalises as the weight of a constant feature) is the unique primal optimum."""
import json, os, numpy as np, pandas as pd, sklearn
from sklearn.svm import LinearSVR

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy(float)

def std(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)

out = {"sklearn": sklearn.__version__}
x, y = load("diabetes")
xs, ys = std(x), y / 100
for key, kwargs, weighted in [
        ("linsvr_squared", {"C": 0.5, "epsilon": 0.1, "loss": "squared_epsilon_insensitive"}, False),
        ("linsvr_squared_weighted", {"C": 2.0, "epsilon": 0.3, "loss": "squared_epsilon_insensitive",
                                     "intercept_scaling": 2.0}, True),
        ("linsvr_l1", {"C": 0.2, "epsilon": 0.2, "loss": "epsilon_insensitive"}, False),
        ("linsvr_l1_weighted", {"C": 0.3, "epsilon": 0.1, "loss": "epsilon_insensitive"}, True)]:
    w = (1 + np.arange(len(xs)) % 3).astype(float) if weighted else None
    m = LinearSVR(dual=True, tol=1e-10, max_iter=1_000_000, random_state=0, **kwargs).fit(xs, ys, sample_weight=w)
    out[key] = {"coefficients": m.coef_.tolist(), "intercept": float(np.atleast_1d(m.intercept_)[0]),
                "predictions_head": m.predict(xs[:10]).tolist(), "iterations": int(m.n_iter_)}

with open(os.path.join(HERE, "..", "Expectations", "linear_svr.json"), "w") as f:
    json.dump(out, f, indent=1)
