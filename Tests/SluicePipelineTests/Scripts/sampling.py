#!/usr/bin/env python3
"""Writes the imbalanced-learn results the sampling tests compare against.
Run from the repository root with imbalanced-learn installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/sampling.py
Class counts per strategy (random draws differ by design: Sluice has its own generator),
SMOTE-NC's categorical penalty (median numeric std), and outlier-removal masks."""
import json, os, numpy as np, pandas as pd, imblearn
from collections import Counter
from imblearn.over_sampling import RandomOverSampler, SMOTE, SMOTENC
from imblearn.under_sampling import RandomUnderSampler

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target"), df["target"].astype(str).to_numpy()

def counts(y):
    return {str(k): int(v) for k, v in sorted(Counter(y).items())}

def band(alcohol):
    """The categorical column the tests add to wine: alcohol in three bands."""
    return np.where(alcohol < 12.5, "low", np.where(alcohol < 13.5, "mid", "high"))

out = {"imblearn": imblearn.__version__}
wine_x, wine_y = load("wine")
bc_x, bc_y = load("breast_cancer")
cases = [
    ("over_auto_wine", RandomOverSampler(random_state=0), wine_x, wine_y),
    ("under_auto_wine", RandomUnderSampler(random_state=0), wine_x, wine_y),
    ("over_ratio_bc", RandomOverSampler(sampling_strategy=0.8, random_state=0), bc_x, bc_y),
    ("under_ratio_bc", RandomUnderSampler(sampling_strategy=0.8, random_state=0), bc_x, bc_y),
    ("over_counts_wine", RandomOverSampler(sampling_strategy={"class_0": 80, "class_2": 70}, random_state=0), wine_x, wine_y),
    ("under_counts_wine", RandomUnderSampler(sampling_strategy={"class_1": 50, "class_0": 40}, random_state=0), wine_x, wine_y),
    ("smote_auto_bc", SMOTE(random_state=0), bc_x, bc_y),
    ("smote_auto_wine", SMOTE(random_state=0), wine_x, wine_y),
    ("smote_ratio_bc", SMOTE(sampling_strategy=0.75, random_state=0), bc_x, bc_y),
]
for key, sampler, x, y in cases:
    _, yr = sampler.fit_resample(x.to_numpy(), y)
    out[key] = {"before": counts(y), "after": counts(yr)}

mixed = wine_x[["alcohol", "malic_acid", "ash", "color_intensity", "hue"]].copy()
mixed["band"] = band(mixed["alcohol"].to_numpy())
mixed["odd"] = np.where(np.arange(len(mixed)) % 2 == 1, "odd", "even")
nc = SMOTENC(categorical_features=[5, 6], random_state=0)
_, yr = nc.fit_resample(mixed, wine_y)
out["smotenc_wine"] = {"before": counts(wine_y), "after": counts(yr),
                       "median_std": {str(k): float(v) for k, v in nc.median_std_.items()}}

diabetes, _ = load("diabetes")
cols = ["bmi", "bp", "s1", "s5"]
q1, q3 = diabetes[cols].quantile(0.25), diabetes[cols].quantile(0.75)
iqr = q3 - q1
keep_iqr = ~((diabetes[cols] < q1 - 1.5 * iqr) | (diabetes[cols] > q3 + 1.5 * iqr)).any(axis=1)
z = (diabetes[cols] - diabetes[cols].mean()) / diabetes[cols].std(ddof=0)
keep_z = ~(z.abs() > 2.5).any(axis=1)
out["outliers_diabetes"] = {"columns": cols, "kept_iqr": np.flatnonzero(keep_iqr).tolist(),
                            "kept_z25": np.flatnonzero(keep_z).tolist()}

with open(os.path.join(HERE, "..", "Expectations", "sampling.json"), "w") as f:
    json.dump(out, f, indent=0)

# --- cross-validation: fold scores of deterministic pipelines on unshuffled 5-fold splits ---
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LinearRegression, LogisticRegression
cv = {}
x, _ = load("diabetes")
y = pd.read_csv(os.path.join(DATA, "diabetes.csv"))["target"].to_numpy(float)
for scoring in ("r2", "neg_mean_squared_error"):
    cv[f"diabetes_linear_{scoring}"] = cross_val_score(LinearRegression(), x.to_numpy(), y, cv=KFold(5), scoring=scoring).tolist()
x, y = load("breast_cancer")
model = make_pipeline(StandardScaler(), LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000))
for scoring in ("roc_auc", "accuracy"):
    cv[f"breast_cancer_logistic_{scoring}"] = cross_val_score(model, x.to_numpy(), y, cv=KFold(5), scoring=scoring).tolist()
with open(os.path.join(HERE, "..", "Expectations", "model_selection.json"), "w") as f:
    json.dump(cv, f, indent=0)
