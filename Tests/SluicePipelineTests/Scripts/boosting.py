#!/usr/bin/env python3
"""Writes the scikit-learn / shap results the histogram gradient boosting tests compare against
(Expectations/boosting.json). Run from the repository root in the peers venv:
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/boosting.py
Held-out split: row i is a test row when i % 4 == 0, a training row otherwise (the tests do the same).
Metrics are averaged over 3 seeds (scikit-learn's boosting is deterministic on these sizes:
no binning subsample, no early stopping below 10 000 rows)."""
import json, os, numpy as np, pandas as pd, sklearn, shap
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import roc_auc_score, accuracy_score, r2_score

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy()

def split(x, y):
    test = np.arange(len(y)) % 4 == 0
    return x[~test], y[~test], x[test], y[test]

out = {"sklearn": sklearn.__version__, "shap": shap.__version__}
seeds = [0, 1, 2]

x, y = load("breast_cancer")
xt, yt, xv, yv = split(x, y)
classes = sorted(set(y))
out["breast_cancer_auc"] = float(np.mean([roc_auc_score(yv == classes[1], HistGradientBoostingClassifier(random_state=s)
                                   .fit(xt, yt).predict_proba(xv)[:, 1]) for s in seeds]))

x, y = load("wine")
xt, yt, xv, yv = split(x, y)
out["wine_accuracy"] = float(np.mean([accuracy_score(yv, HistGradientBoostingClassifier(random_state=s).fit(xt, yt)
                                      .predict(xv)) for s in seeds]))

x, y = load("diabetes")
y = y.astype(float)
xt, yt, xv, yv = split(x, y)
out["diabetes_r2"] = float(np.mean([r2_score(yv, HistGradientBoostingRegressor(random_state=s).fit(xt, yt).predict(xv))
                                    for s in seeds]))
out["diabetes_absolute_r2"] = float(r2_score(yv, HistGradientBoostingRegressor(loss="absolute_error", random_state=0)
                                             .fit(xt, yt).predict(xv)))
out["diabetes_poisson_r2"] = float(r2_score(yv, HistGradientBoostingRegressor(loss="poisson", random_state=0)
                                            .fit(xt, yt).predict(xv)))

# TreeSHAP parity: scikit-learn's fitted trees (20 iterations on breast_cancer, some NaN
# injected so that splits learn a missing direction), shap's path-dependent values on 16 rows.
x, y = load("breast_cancer")
x = x.copy()
rng = np.random.RandomState(0)
x[rng.rand(*x.shape) < 0.05] = np.nan
model = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=15, random_state=0).fit(x, y)
trees = []
for predictors in model._predictors:
    nodes = predictors[0].nodes
    trees.append({
        "feature": [int(f) if not leaf else -1 for f, leaf in zip(nodes["feature_idx"], nodes["is_leaf"])],
        "threshold": [float(t) if np.isfinite(t) else 1e308 for t in nodes["num_threshold"]],
        "left": nodes["left"].astype(int).tolist(), "right": nodes["right"].astype(int).tolist(),
        "missing_left": [bool(v) for v in nodes["missing_go_to_left"]],
        "value": nodes["value"].astype(float).tolist(), "count": nodes["count"].astype(float).tolist()})
rows = x[:16]
explainer = shap.TreeExplainer(model)
values = explainer.shap_values(rows)
out["shap"] = {"baseline": float(np.ravel(model._baseline_prediction)[0]), "trees": trees,
               "rows": [[None if np.isnan(v) else float(v) for v in r] for r in rows],
               "raw": model.decision_function(rows).tolist(),
               "expected_value": float(np.ravel(explainer.expected_value)[0]),
               "values": np.asarray(values).reshape(len(rows), -1).tolist()}

with open(os.path.join(HERE, "..", "Expectations", "boosting.json"), "w") as f:
    json.dump(out, f, indent=1)
print({k: v for k, v in out.items() if k != "shap"})
