#!/usr/bin/env python3
"""Writes the scikit-learn TunedThresholdClassifierCV results the threshold tuner parity tests
(TunedThresholdParityTests.swift) compare against, to Expectations/threshold.json. Run from the
repository root with scikit-learn installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/threshold.py
Features are standardised as the tests do: (x - mean) / std, population std. Folds are unshuffled
KFold(5) (the Swift side's stratified: false); breast_cancer's rows are sorted by nothing in
particular, so every fold holds both classes."""
import json, os, numpy as np, pandas as pd, sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, make_scorer
from sklearn.model_selection import KFold, TunedThresholdClassifierCV

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy()

def std(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)

def cost(y, y_pred, sample_weight=None):
    tn, fp, fn, tp = confusion_matrix(y, y_pred, labels=["benign", "malignant"], sample_weight=sample_weight).ravel()
    return -(1.0 * fp + 5.0 * fn)

out = {"sklearn": sklearn.__version__}
x, y = load("breast_cancer")
xs = std(x)[:, :4]  # four columns: an imperfect classifier, so the threshold matters
w = (1 + np.arange(len(y)) % 3).astype(float)
for key, scoring, weighted in [("threshold_balanced_accuracy", "balanced_accuracy", False),
                               ("threshold_f1", make_scorer(f1_score, pos_label="malignant"), False),
                               ("threshold_cost", "cost", False),
                               ("threshold_cost_weighted", "cost", True)]:
    base = LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000)
    sklearn.set_config(enable_metadata_routing=weighted)
    if isinstance(scoring, str) and scoring == "cost":
        scoring = make_scorer(cost)
        if weighted:
            scoring = scoring.set_score_request(sample_weight=True)
    if weighted:
        base = base.set_fit_request(sample_weight=True)
    m = TunedThresholdClassifierCV(base, scoring=scoring, cv=KFold(5), store_cv_results=True)
    m.fit(xs, y, **({"sample_weight": w} if weighted else {}))
    sklearn.set_config(enable_metadata_routing=False)
    out[key] = {"threshold": float(m.best_threshold_), "score": float(m.best_score_),
                "predictions": [str(c) for c in m.predict(xs)]}

with open(os.path.join(HERE, "..", "Expectations", "threshold.json"), "w") as f:
    json.dump(out, f, indent=1)
