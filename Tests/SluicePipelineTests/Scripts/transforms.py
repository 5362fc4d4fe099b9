#!/usr/bin/env python3
"""Writes scikit-learn's (and pandas') results for the transform stages' parity tests,
into ../Expectations/transforms.json. Run from the repository root with the peers venv:
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/transforms.py
Each entry holds the fitted state (from the whole dataset) and the transformed values
of its first HEAD rows, in row and column order."""
import json, os, numpy as np, pandas as pd, sklearn
from sklearn.preprocessing import (MinMaxScaler, MaxAbsScaler, RobustScaler, PowerTransformer,
                                   QuantileTransformer, PolynomialFeatures, KBinsDiscretizer)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target")

def holes(x):
    """NaN wherever (row * p + column) % 7 == 0, as StageTests' `holes()`."""
    h = x.copy()
    n, p = h.shape
    for i in range(n):
        for j in range(p):
            if (i * p + j) % 7 == 0:
                h[i, j] = np.nan
    return h

def L(a):
    """Floats as a JSON list, NaN written as null (JSON has no NaN)."""
    a = np.asarray(a, dtype=float)
    assert not np.isinf(a).any()
    return np.where(np.isnan(a), None, a).tolist()

HEAD = 120
def T(a):
    """Transformed values of the first HEAD rows: enough to cover every branch, small to commit."""
    return L(np.asarray(a)[:HEAD])

out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "pandas": pd.__version__}

wine, diabetes, cancer, iris = (load(n) for n in ("wine", "diabetes", "breast_cancer", "iris"))

m = MinMaxScaler().fit(wine.to_numpy())
out["minmax_wine"] = {"data_min": L(m.data_min_), "data_max": L(m.data_max_), "scale": L(m.scale_),
                      "min": L(m.min_), "transformed": T(m.transform(wine.to_numpy()))}
m = MinMaxScaler(feature_range=(-1, 2)).fit(diabetes.to_numpy())
out["minmax_diabetes_range"] = {"scale": L(m.scale_), "min": L(m.min_), "transformed": T(m.transform(diabetes.to_numpy()))}

m = MaxAbsScaler().fit(diabetes.to_numpy())
out["maxabs_diabetes"] = {"max_abs": L(m.max_abs_), "scale": L(m.scale_), "transformed": T(m.transform(diabetes.to_numpy()))}

m = RobustScaler().fit(cancer.to_numpy())
out["robust_breast_cancer"] = {"center": L(m.center_), "scale": L(m.scale_), "transformed": T(m.transform(cancer.to_numpy()))}
m = RobustScaler(quantile_range=(10.0, 90.0), unit_variance=True).fit(wine.to_numpy())
out["robust_wine_10_90_unit"] = {"center": L(m.center_), "scale": L(m.scale_), "transformed": T(m.transform(wine.to_numpy()))}
h = holes(diabetes.to_numpy())
m = RobustScaler().fit(h)
out["robust_diabetes_holes"] = {"center": L(m.center_), "scale": L(m.scale_)}

for key, df in (("wine", wine), ("diabetes", diabetes), ("breast_cancer", cancer)):
    m = PowerTransformer().fit(df.to_numpy())
    out[f"power_{key}"] = {"lambdas": L(m.lambdas_), "mean": L(m._scaler.mean_), "scale": L(m._scaler.scale_),
                           "transformed": T(m.transform(df.to_numpy()))}
m = PowerTransformer(standardize=False).fit(iris.to_numpy())
out["power_iris_raw"] = {"lambdas": L(m.lambdas_), "transformed": T(m.transform(iris.to_numpy()))}

m = QuantileTransformer(n_quantiles=100).fit(iris.to_numpy())
probe = np.array([[4.0, 1.0, 0.5, 0.0], [9.0, 5.0, 8.0, 3.0], [5.8, 3.0, 4.35, 1.3]])
out["quantile_iris_uniform"] = {"quantiles": L(m.quantiles_.T), "references": L(m.references_),
                                "transformed": T(m.transform(iris.to_numpy())), "probe": L(probe),
                                "probe_transformed": L(m.transform(probe))}
m = QuantileTransformer(output_distribution="normal").fit(wine.to_numpy())
out["quantile_wine_normal"] = {"quantiles": L(m.quantiles_.T), "transformed": T(m.transform(wine.to_numpy()))}
m = QuantileTransformer(n_quantiles=50).fit(h)
out["quantile_diabetes_holes"] = {"quantiles": L(m.quantiles_.T), "transformed": T(m.transform(h))}

x = cancer.to_numpy()
q1, q3 = np.percentile(x, 25, axis=0), np.percentile(x, 75, axis=0)
lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
out["clip_iqr_breast_cancer"] = {"lower": L(lo), "upper": L(hi), "transformed": T(np.clip(x, lo, hi))}
x = wine.to_numpy()
lo, hi = np.percentile(x, 5, axis=0), np.percentile(x, 95, axis=0)
out["clip_quantiles_wine"] = {"lower": L(lo), "upper": L(hi), "transformed": T(np.clip(x, lo, hi))}

m = PolynomialFeatures(degree=2).fit(iris)
out["poly_iris_2"] = {"names": m.get_feature_names_out().tolist(), "transformed": T(m.transform(iris))}
w3 = wine.iloc[:, :4]
m = PolynomialFeatures(degree=3, interaction_only=True, include_bias=False).fit(w3)
out["poly_wine_interactions_3"] = {"names": m.get_feature_names_out().tolist(), "transformed": T(m.transform(w3))}
d3 = diabetes.iloc[:, :3]
m = PolynomialFeatures(degree=3).fit(d3)
out["poly_diabetes_3"] = {"names": m.get_feature_names_out().tolist(), "transformed": T(m.transform(d3))}

for key, df, kwargs in (("kbins_wine_uniform_4", wine, dict(n_bins=4, strategy="uniform")),
                        ("kbins_breast_cancer_quantile_5", cancer, dict(n_bins=5, strategy="quantile")),
                        ("kbins_diabetes_quantile_linear_6", diabetes,
                         dict(n_bins=6, strategy="quantile", quantile_method="linear"))):
    m = KBinsDiscretizer(encode="ordinal", **kwargs).fit(df.to_numpy())
    out[key] = {"edges": [L(e) for e in m.bin_edges_], "n_bins": [int(b) for b in m.n_bins_],
                "transformed": T(m.transform(df.to_numpy()))}

x = wine.to_numpy()
out["log1p_wine"] = {"transformed": T(np.log1p(x))}
y = diabetes.to_numpy()
out["signed_log1p_diabetes"] = {"transformed": T(np.sign(y) * np.log1p(np.abs(y)))}

# pandas' .dt parts of timestamps (microseconds since the epoch, UTC), some before 1970.
rng = np.random.default_rng(5)
micros = np.concatenate([rng.integers(-2_000_000_000_000_000, 4_000_000_000_000_000, 200),
                         [0, -1, 86_400_000_000 - 1, 951_782_400_000_000, 951_868_800_000_000]])  # 2000-02-29, 03-01
ts = pd.Series(pd.to_datetime(micros, unit="us"))
ref = pd.Timestamp("2000-01-01")
out["dateparts"] = {"micros": [int(v) for v in micros], "year": ts.dt.year.tolist(), "month": ts.dt.month.tolist(),
                    "day": ts.dt.day.tolist(), "dayofweek": ts.dt.day_of_week.tolist(),
                    "dayofyear": ts.dt.day_of_year.tolist(), "hour": ts.dt.hour.tolist(),
                    "days_since_2000": L((ts - ref) / pd.Timedelta(days=1))}

with open(os.path.join(HERE, "..", "Expectations", "transforms.json"), "w") as f:
    json.dump(out, f, allow_nan=False)
