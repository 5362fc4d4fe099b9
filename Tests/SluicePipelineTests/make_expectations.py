#!/usr/bin/env python3
"""Writes the scikit-learn results the SluicePipeline parity tests compare against.
Run from the repository root with scikit-learn installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/make_expectations.py
Features are standardised exactly as the tests do: (x - mean) / std, population std."""
import json, os, numpy as np, pandas as pd, sklearn
from sklearn.linear_model import LinearRegression, Ridge, LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "Data")

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy()

def std(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)

out = {"sklearn": sklearn.__version__}

x, y = load("diabetes")
w = 1.0 + (np.arange(len(y)) % 3)
for key, model, weights in [("ols", LinearRegression(), None), ("ridge", Ridge(alpha=1.0), None),
                            ("ols_weighted", LinearRegression(), w), ("ridge_weighted", Ridge(alpha=2.5), w),
                            ("ols_no_intercept", LinearRegression(fit_intercept=False), None)]:
    model.fit(x, y.astype(float), sample_weight=weights)
    out[f"diabetes_{key}"] = {"coefficients": model.coef_.tolist(), "intercept": float(model.intercept_),
                              "predictions_head": model.predict(x[:5]).tolist()}

for key, name, kwargs in [("breast_cancer", "breast_cancer", {}), ("iris", "iris", {}),
                          ("wine_balanced_c05", "wine", {"C": 0.5, "class_weight": "balanced"}),
                          ("breast_cancer_c001", "breast_cancer", {"C": 0.01})]:
    x, y = load(name)
    xs = std(x)
    m = LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=10000, **kwargs).fit(xs, y)
    intercepts = m.intercept_ - (m.intercept_.mean() if len(m.classes_) > 2 else 0)
    out[f"logistic_{key}"] = {"classes": [str(c) for c in m.classes_], "coefficients": m.coef_.tolist(),
                              "intercepts": intercepts.tolist(),
                              "probabilities_head": m.predict_proba(xs[:5]).tolist(),
                              "accuracy": float(m.score(xs, y))}

with open(os.path.join(HERE, "Expectations", "estimators.json"), "w") as f:
    json.dump(out, f, indent=1)
