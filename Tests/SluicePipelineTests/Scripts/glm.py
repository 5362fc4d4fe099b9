#!/usr/bin/env python3
"""Writes scikit-learn's Poisson, gamma and Tweedie regressions (log link) that the GLM parity
tests (GLMParityTests.swift) compare against, to Expectations/glm.json. Run from the
repository root with scikit-learn installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/glm.py
The diabetes features are standardised as the tests do: (x - mean) / std, population std;
the target is diabetes's (positive), and for the zero-inflated cases the target minus 100
clipped at 0 (many exact zeros, as insurance claims)."""
import json, os, numpy as np, pandas as pd, sklearn
from sklearn.linear_model import PoissonRegressor, GammaRegressor, TweedieRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
df = pd.read_csv(os.path.join(HERE, "..", "..", "Data", "diabetes.csv"))
x = df.drop(columns="target").to_numpy(float)
x = (x - x.mean(axis=0)) / x.std(axis=0)
y = df["target"].to_numpy(float)
zeros = np.maximum(y - 100, 0)
weights = 1.0 + (np.arange(len(y)) % 3)
out = {"sklearn": sklearn.__version__}
opts = {"tol": 1e-12, "max_iter": 10000}
for key, model, target, weighted in [
        ("poisson", PoissonRegressor(alpha=1.0, **opts), y, False),
        ("poisson_weak_weighted", PoissonRegressor(alpha=0.01, **opts), y, True),
        ("poisson_zeros_no_intercept", PoissonRegressor(alpha=0.1, fit_intercept=False, **opts), zeros, False),
        ("gamma", GammaRegressor(alpha=0.5, **opts), y, False),
        ("tweedie_1_5_zeros", TweedieRegressor(power=1.5, alpha=0.05, link="log", **opts), zeros, True),
        ("tweedie_3", TweedieRegressor(power=3, alpha=0.2, link="log", **opts), y, False),
        ("tweedie_0_log", TweedieRegressor(power=0, alpha=0.1, link="log", **opts), y, False)]:
    sw = weights if weighted else None
    model.fit(x, target, sample_weight=sw)
    out[key] = {"coefficients": model.coef_.tolist(), "intercept": float(model.intercept_),
                "predictions_head": model.predict(x[:5]).tolist(), "d2": float(model.score(x, target, sample_weight=sw))}
with open(os.path.join(HERE, "..", "Expectations", "glm.json"), "w") as f:
    json.dump(out, f, indent=1)
