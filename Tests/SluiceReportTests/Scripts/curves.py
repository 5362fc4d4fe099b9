"""Writes Expectations/curves.json: inputs and scikit-learn's curves (roc_curve,
precision_recall_curve, calibration_curve) and NumPy's lift table, for SluiceReportTests.

Run with the peers venv: ~/.cache/sluice-peers/bin/python Tests/SluiceReportTests/Scripts/curves.py
"""
import json, os
import numpy as np
import sklearn
from sklearn.metrics import roc_curve, precision_recall_curve, confusion_matrix
from sklearn.calibration import calibration_curve

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(42)
n = 500
y = rng.integers(0, 2, n)
# Scores rounded to two decimals: many ties, as real models give.
scores = np.clip(np.round(0.35 * y + rng.normal(0.35, 0.2, n), 2), 0, 1)
fpr, tpr, thr = roc_curve(y, scores, drop_intermediate=False)
precision, recall, pthr = precision_recall_curve(y, scores)
cal_uniform = calibration_curve(y, scores, n_bins=10, strategy="uniform")
cal_quantile = calibration_curve(y, scores, n_bins=5, strategy="quantile")
grid = [i / 20 for i in range(21)]
by_threshold = []
for t in grid:
    tn, fp, fn, tp = confusion_matrix(y, (scores >= t).astype(int), labels=[0, 1]).ravel()
    by_threshold.append([int(tp), int(fp), int(tn), int(fn)])
# Lift by decile: rows sorted by score descending, ties by row order (a stable sort).
order = np.argsort(-scores, kind="stable")
lift = []
total, rate, found, start = y.sum(), y.mean(), 0, 0
for k in range(1, 11):
    end = (n * k + 9) // 10
    part = y[order[start:end]]
    found += part.sum()
    lift.append({"rows": int(len(part)), "positives": int(part.sum()), "lift": float(part.mean() / rate),
                 "gain": float(found / total)})
    start = end
out = {
    "sklearn": sklearn.__version__,
    "y": y.tolist(), "scores": scores.tolist(),
    "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": [str(t) if not np.isfinite(t) else t for t in thr.tolist()]},
    "pr": {"precision": precision.tolist(), "recall": recall.tolist(), "thresholds": pthr.tolist()},
    "calibration_uniform": {"fraction": cal_uniform[0].tolist(), "mean": cal_uniform[1].tolist()},
    "calibration_quantile": {"fraction": cal_quantile[0].tolist(), "mean": cal_quantile[1].tolist()},
    "threshold_grid": grid, "by_threshold": by_threshold,
    "lift": lift,
}
with open(os.path.join(HERE, "..", "Expectations", "curves.json"), "w") as f:
    json.dump(out, f)
print("wrote curves.json with scikit-learn", sklearn.__version__)
