#!/usr/bin/env python3
"""Writes scikit-learn's elastic-net logistic regression (saga, tight tolerance) to
Expectations/elastic_logistic.json for ElasticNetLogisticParityTests.swift. Run from the
repository root with scikit-learn installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/elastic_logistic.py
Features are standardised as the tests do: (x - mean) / std, population std."""
import json, os, numpy as np, pandas as pd, sklearn
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy()

def std(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)

out = {"sklearn": sklearn.__version__}
for key, name, c, ratio, weighted in [("enet_logistic_breast_cancer", "breast_cancer", 0.5, 0.5, False),
                                      ("enet_logistic_wine", "wine", 0.3, 0.7, False),
                                      ("enet_logistic_breast_cancer_weighted", "breast_cancer", 0.25, 0.3, True)]:
    x, y = load(name)
    xs = std(x)
    w = (1 + np.arange(len(y)) % 3).astype(float) if weighted else None
    m = LogisticRegression(C=c, l1_ratio=ratio, solver="saga", tol=1e-13, max_iter=200000).fit(xs, y, sample_weight=w)
    out[key] = {"classes": [str(k) for k in m.classes_], "coefficients": m.coef_.tolist(),
                "intercepts": m.intercept_.tolist(), "n_iter": int(np.max(m.n_iter_))}

with open(os.path.join(HERE, "..", "Expectations", "elastic_logistic.json"), "w") as f:
    json.dump(out, f, indent=1)
