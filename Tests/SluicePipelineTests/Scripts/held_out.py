#!/usr/bin/env python3
"""Writes the peers' held-out scores the forest and boosting parity tests compare against
(Expectations/held_out.json). Run from the repository root with the peers venv:
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/held_out.py

Split: row i is a test row when i % 4 == 0, a training row otherwise (HeldOutParityTests does
the same). Metric: ROC-AUC of the second class's probability for binary targets (breast_cancer),
accuracy for multiclass (wine, digits), R² for regression (diabetes). Each score is the mean
over random_state / seed 0..4.

Peers and their parameters:
- scikit-learn RandomForestClassifier / RandomForestRegressor, n_estimators=100, every other
  parameter at its default (classifier max_features="sqrt", regressor 1.0, bootstrap).
- scikit-learn HistGradientBoostingClassifier / Regressor at its defaults: learning_rate 0.1,
  max_iter 100, max_leaf_nodes 31, min_samples_leaf 20, l2_regularization 0, max_bins 255,
  early stopping "auto" (off below 10 000 rows).
- LightGBM LGBMClassifier / LGBMRegressor with the same model: num_leaves 31, learning_rate 0.1,
  n_estimators 100, min_child_samples 20, min_child_weight 1e-3, reg_lambda 0, max_bin 255,
  no bagging (subsample 1, subsample_freq 0), every feature (colsample_bytree 1),
  min_split_gain 0, max_depth -1, deterministic, one thread.

The two boosting peers differ in their binning (LightGBM's bin boundaries and
min_data_in_bin 3) and in LightGBM's min_sum_hessian_in_leaf check; on small datasets this moves
their scores apart. Each entry records `peer_gap`, the largest distance between the peers it
compares Sluice against; where that gap exceeds 0.005 the test allows `peer_gap + 0.001` instead
of 0.005 (`tolerance`), and this script prints those cases."""
import json, os, warnings, numpy as np, pandas as pd, sklearn, lightgbm
from sklearn.ensemble import (RandomForestClassifier, RandomForestRegressor,
                              HistGradientBoostingClassifier, HistGradientBoostingRegressor)
from sklearn.metrics import roc_auc_score, accuracy_score, r2_score

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")
SEEDS = range(5)
FOREST_TREES = 100
TOLERANCE = 0.005

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy()

def lightgbm_params(seed):
    return dict(num_leaves=31, learning_rate=0.1, n_estimators=100, min_child_samples=20, min_child_weight=1e-3,
                reg_lambda=0.0, max_bin=255, subsample=1.0, subsample_freq=0, colsample_bytree=1.0,
                min_split_gain=0.0, max_depth=-1, deterministic=True, n_jobs=1, verbose=-1, random_state=seed)

DATASETS = [("breast_cancer", "auc"), ("wine", "accuracy"), ("digits", "accuracy"), ("diabetes", "r2")]

def score(metric, model, xv, yv):
    if metric == "auc":
        return roc_auc_score(yv == model.classes_[1], model.predict_proba(xv)[:, 1])
    if metric == "accuracy":
        return accuracy_score(yv, model.predict(xv))
    return r2_score(yv, model.predict(xv))

def peers(metric, seed):
    regression = metric == "r2"
    return {
        "random_forest": (RandomForestRegressor if regression else RandomForestClassifier)(
            n_estimators=FOREST_TREES, random_state=seed),
        "hist_gradient_boosting": (HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier)(
            random_state=seed),
        "lightgbm": (lightgbm.LGBMRegressor if regression else lightgbm.LGBMClassifier)(**lightgbm_params(seed)),
    }

out = {"sklearn": sklearn.__version__, "lightgbm": lightgbm.__version__, "seeds": len(SEEDS),
       "forest_trees": FOREST_TREES, "datasets": {}}
for name, metric in DATASETS:
    x, y = load(name)
    if metric == "r2":
        y = y.astype(float)
    test = np.arange(len(y)) % 4 == 0
    xt, yt, xv, yv = x[~test], y[~test], x[test], y[test]
    scores = {k: [] for k in peers(metric, 0)}
    for seed in SEEDS:
        for key, model in peers(metric, seed).items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # LightGBM's feature-name warnings
                model.fit(xt, yt)
                scores[key].append(float(score(metric, model, xv, yv)))
    means = {k: float(np.mean(v)) for k, v in scores.items()}
    boosting_gap = abs(means["hist_gradient_boosting"] - means["lightgbm"])
    out["datasets"][name] = {
        "metric": metric,
        "forest": {"mean": means["random_forest"], "scores": scores["random_forest"], "tolerance": TOLERANCE},
        "boosting": {
            "hist_gradient_boosting": {"mean": means["hist_gradient_boosting"], "scores": scores["hist_gradient_boosting"]},
            "lightgbm": {"mean": means["lightgbm"], "scores": scores["lightgbm"]},
            "peer_gap": boosting_gap,
            "tolerance": TOLERANCE if boosting_gap <= TOLERANCE else boosting_gap + 0.001,
        },
    }

with open(os.path.join(HERE, "..", "Expectations", "held_out.json"), "w") as f:
    json.dump(out, f, indent=1)
for name, d in out["datasets"].items():
    b = d["boosting"]
    wide = " (peers differ by more than 0.005)" if b["peer_gap"] > TOLERANCE else ""
    print(f"{name} {d['metric']}: forest {d['forest']['mean']:.4f}, HGB {b['hist_gradient_boosting']['mean']:.4f}, "
          f"LightGBM {b['lightgbm']['mean']:.4f}, gap {b['peer_gap']:.4f}, tolerance {b['tolerance']:.4f}{wide}")
