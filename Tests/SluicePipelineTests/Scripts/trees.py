#!/usr/bin/env python3
"""Writes the scikit-learn results the tree and forest parity tests compare against
(Expectations/trees.json). Run from the repository root with the peers venv:
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/trees.py
Trees: every feature (max_features=None), fitted with random_state 0..19; a configuration
is marked `stable` when the twenty fits predict the same, i.e. no exact tie between
splits decides the tree (scikit-learn breaks such ties by a random feature order).
Forests: held-out accuracy / R² on rows i % 4 == 0, mean over 5 seeds."""
import json, os, numpy as np, pandas as pd, sklearn
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

def load(name):
    if name.endswith("_missing"):  # every 7th row misses feature 0, every 5th feature 3 (as the tests)
        x, y = load(name[:-len("_missing")])
        x = x.copy()
        x[np.arange(len(y)) % 7 == 0, 0] = np.nan
        x[np.arange(len(y)) % 5 == 0, 3] = np.nan
        return x, y
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy()

TREES = [  # key, dataset, kwargs
    ("iris_d3", "iris", dict(max_depth=3)),
    ("wine_d4", "wine", dict(max_depth=4)),
    ("wine_entropy_d3", "wine", dict(criterion="entropy", max_depth=3)),
    ("breast_cancer_d4", "breast_cancer", dict(max_depth=4)),
    ("breast_cancer_d8_leaf3", "breast_cancer", dict(max_depth=8, min_samples_leaf=3)),
    ("breast_cancer_leaves12", "breast_cancer", dict(max_leaf_nodes=12)),
    ("breast_cancer_balanced_d5", "breast_cancer", dict(max_depth=5, class_weight="balanced")),
    ("breast_cancer_full", "breast_cancer", dict()),
    ("breast_cancer_missing_d4", "breast_cancer_missing", dict(max_depth=4)),
    ("diabetes_missing_d4", "diabetes_missing", dict(max_depth=4)),
    ("diabetes_d3", "diabetes", dict(max_depth=3)),
    ("diabetes_d6", "diabetes", dict(max_depth=6)),
    ("diabetes_leaves20", "diabetes", dict(max_leaf_nodes=20)),
    ("diabetes_d8_leaf5", "diabetes", dict(max_depth=8, min_samples_leaf=5)),
    ("diabetes_decrease", "diabetes", dict(min_impurity_decrease=20.0)),
    # Absolute error (scikit-learn refuses missing values with it).
    ("diabetes_mae_d2", "diabetes", dict(criterion="absolute_error", max_depth=2)),
    ("diabetes_mae_d3", "diabetes", dict(criterion="absolute_error", max_depth=3)),
    ("diabetes_mae_d4", "diabetes", dict(criterion="absolute_error", max_depth=4)),
    ("diabetes_mae_d3_leaf5", "diabetes", dict(criterion="absolute_error", max_depth=3, min_samples_leaf=5)),
    ("diabetes_mae_d4_leaf10", "diabetes", dict(criterion="absolute_error", max_depth=4, min_samples_leaf=10)),
    ("diabetes_mae_leaves10", "diabetes", dict(criterion="absolute_error", max_leaf_nodes=10)),
]
# Configurations fitted with sample weights 1 + i % 3 (row i), the tests' `weighted` pattern.
WEIGHTED = [
    ("diabetes_mae_d3_weighted", "diabetes", dict(criterion="absolute_error", max_depth=3)),
    ("diabetes_mae_d2_leaf5_weighted", "diabetes", dict(criterion="absolute_error", max_depth=2, min_samples_leaf=5)),
]

out = {"sklearn": sklearn.__version__, "trees": {}, "forests": {}}
for key, name, kw in TREES + WEIGHTED:
    x, y = load(name)
    regression = name.startswith("diabetes")
    weights = 1.0 + np.arange(len(y)) % 3 if key.endswith("_weighted") else None
    fits = []
    for seed in range(20):
        m = (DecisionTreeRegressor if regression else DecisionTreeClassifier)(random_state=seed, **kw)
        fits.append(m.fit(x, y, sample_weight=weights))
    preds = [m.predict(x) if regression else m.predict_proba(x) for m in fits]
    stable = all(np.array_equal(preds[0], p) for p in preds[1:])
    # The same structure in every fit: no tie decided which feature a split uses.
    same_structure = all(np.array_equal(fits[0].feature_importances_, m.feature_importances_)
                         and m.tree_.node_count == fits[0].tree_.node_count for m in fits[1:])
    m = fits[0]
    out["trees"][key] = {
        "dataset": name, "params": kw, "stable": bool(stable), "same_structure": bool(same_structure),
        "node_count": int(m.tree_.node_count), "leaves": int(m.get_n_leaves()), "depth": int(m.get_depth()),
        "predictions": preds[0].tolist(),
        "importances": m.feature_importances_.tolist(),
    }

x, y = load("diabetes")
path = DecisionTreeRegressor(max_depth=8, min_samples_leaf=5, random_state=0).cost_complexity_pruning_path(x, y)
pruned = DecisionTreeRegressor(max_depth=8, min_samples_leaf=5, ccp_alpha=30.0, random_state=0).fit(x, y)
out["pruning"] = {"alphas": path.ccp_alphas.tolist(), "impurities": path.impurities.tolist(),
                  "pruned_node_count": int(pruned.tree_.node_count), "pruned_predictions": pruned.predict(x).tolist()}

FORESTS = [("breast_cancer", RandomForestClassifier), ("wine", RandomForestClassifier), ("diabetes", RandomForestRegressor)]
for name, cls in FORESTS:
    x, y = load(name)
    test = np.arange(len(y)) % 4 == 0
    scores = []
    for seed in range(5):
        m = cls(n_estimators=30, random_state=seed).fit(x[~test], y[~test])
        scores.append(m.score(x[test], y[test]))
    out["forests"][name] = {"trees": 30, "seeds": 5, "score_mean": float(np.mean(scores)), "scores": scores}

with open(os.path.join(HERE, "..", "Expectations", "trees.json"), "w") as f:
    json.dump(out, f)
print({k: (v["stable"], v["same_structure"], v["node_count"]) for k, v in out["trees"].items()})
print({k: v["score_mean"] for k, v in out["forests"].items()})
