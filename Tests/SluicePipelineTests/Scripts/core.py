#!/usr/bin/env python3
"""Writes the scikit-learn results the SluicePipeline parity tests compare against.
Run from the repository root with scikit-learn installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/core.py
Features are standardised exactly as the tests do: (x - mean) / std, population std."""
import json, os, numpy as np, pandas as pd, sklearn
from sklearn.linear_model import LinearRegression, Ridge, LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

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

with open(os.path.join(HERE, "..", "Expectations", "estimators.json"), "w") as f:
    json.dump(out, f, indent=1)

# --- metrics: inputs and scikit-learn's values, in metrics.json ----------------------
from sklearn import metrics as M
r = np.random.default_rng(11)
n = 300
yb = (r.random(n) < 0.3).astype(int)
scores = np.round(r.random(n) * 0.6 + 0.4 * yb, 2)          # rounded: many ties
predb = (scores > 0.5).astype(int)
weights = np.round(r.uniform(0.5, 2.0, n), 3)
yk = r.integers(0, 3, n)
logits = r.normal(size=(n, 3)) + 1.5 * np.eye(3)[yk]
proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
predk = proba.argmax(axis=1)
yr = r.normal(10, 3, n)
predr = yr + r.normal(0, 1.5, n)
xs, yi = load("iris")
xs = std(xs)
iris_codes = pd.Series(yi).astype("category").cat.codes.to_numpy()
m = {
    "inputs": {"y_binary": yb.tolist(), "scores": scores.tolist(), "pred_binary": predb.tolist(),
               "weights": weights.tolist(), "y_multi": yk.tolist(), "proba": proba.tolist(),
               "pred_multi": predk.tolist(), "y_reg": yr.tolist(), "pred_reg": predr.tolist(),
               "iris_labels": iris_codes.tolist()},
    "accuracy": M.accuracy_score(yk, predk),
    "accuracy_weighted": M.accuracy_score(yk, predk, sample_weight=weights),
    "balanced_accuracy": M.balanced_accuracy_score(yk, predk),
    "confusion": M.confusion_matrix(yk, predk).tolist(),
    "precision_binary": M.precision_score(yb, predb), "recall_binary": M.recall_score(yb, predb),
    "f1_binary": M.f1_score(yb, predb),
    "f1_binary_weighted_rows": M.f1_score(yb, predb, sample_weight=weights),
    **{f"{name}_{avg}": fn(yk, predk, average=avg) for avg in ("macro", "weighted", "micro")
       for name, fn in (("precision", M.precision_score), ("recall", M.recall_score), ("f1", M.f1_score))},
    "roc_auc": M.roc_auc_score(yb, scores), "roc_auc_weighted_rows": M.roc_auc_score(yb, scores, sample_weight=weights),
    "roc_auc_ovr_macro": M.roc_auc_score(yk, proba, multi_class="ovr"),
    "roc_auc_ovr_weighted": M.roc_auc_score(yk, proba, multi_class="ovr", average="weighted"),
    "average_precision": M.average_precision_score(yb, scores),
    "average_precision_weighted_rows": M.average_precision_score(yb, scores, sample_weight=weights),
    "log_loss": M.log_loss(yk, proba), "log_loss_weighted": M.log_loss(yk, proba, sample_weight=weights),
    "brier": M.brier_score_loss(yb, scores),
    "mse": M.mean_squared_error(yr, predr), "rmse": M.root_mean_squared_error(yr, predr),
    "mae": M.mean_absolute_error(yr, predr), "r2": M.r2_score(yr, predr),
    "r2_weighted": M.r2_score(yr, predr, sample_weight=weights),
    "silhouette_iris": M.silhouette_score(xs, iris_codes),
}
with open(os.path.join(HERE, "..", "Expectations", "metrics.json"), "w") as f:
    json.dump(m, f, indent=0)

# --- stages: scikit-learn's fitted state, in stages.json -----------------------------
from sklearn.preprocessing import StandardScaler, OneHotEncoder
from sklearn.impute import SimpleImputer
st = {}
x, _ = load("wine")
sc = StandardScaler().fit(x)
st["scaler_wine"] = {"mean": sc.mean_.tolist(), "scale": sc.scale_.tolist(), "head": sc.transform(x[:5]).tolist()}
x, _ = load("diabetes")
holes = x.copy()
n, p = holes.shape
for i in range(n):
    for j in range(p):
        if (i * p + j) % 7 == 0:
            holes[i, j] = np.nan
for strategy in ("mean", "median", "most_frequent"):
    imp = SimpleImputer(strategy=strategy).fit(holes)
    st[f"imputer_{strategy}"] = {"statistics": imp.statistics_.tolist()}
with open(os.path.join(HERE, "..", "Expectations", "stages.json"), "w") as f:
    json.dump(st, f, indent=0)
