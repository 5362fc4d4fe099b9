#!/usr/bin/env python3
"""Writes the scikit-learn results the encoding, text, selection and k-NN imputation
parity tests (EncodingStageTests.swift) compare against, into Expectations/encoding.json.
Run from anywhere with scikit-learn installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/encoding.py
Synthetic inputs are generated here and stored in the JSON, so the Swift tests read the
very same rows."""
import json, os, warnings
import numpy as np, pandas as pd, sklearn

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy()

def std(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)

out = {"sklearn": sklearn.__version__}

# --- categorical inputs --------------------------------------------------------------------
r = np.random.default_rng(5)
n = 240
cities = ["Zürich", "bern", "Basel", "Genève", "chur", "Aarau", "Lugano"]
city = [cities[i] for i in r.choice(len(cities), n, p=[.3, .2, .15, .12, .1, .08, .05])]
city = [None if r.random() < 0.06 else c for c in city]
size = r.integers(1, 6, n)
latent = np.array([{"Zürich": 1.0, "bern": -0.5, "Basel": 0.3, "Genève": 0.8, "chur": -1.0,
                    "Aarau": 0.0, "Lugano": 0.5}.get(c, 0.2) for c in city]) + 0.3 * size
y_cont = latent + r.normal(0, 1, n)
y_bin = np.where(latent + r.normal(0, 1, n) > 1.2, "yes", "no")
y_multi = np.array(["low", "mid", "high"])[np.digitize(latent + r.normal(0, 1, n), [0.8, 1.8])]
score_city = ["bern", "Luzern", None, "Zürich", "Aarau", "Sion"]
score_size = [1, 7, 3, 5, 2, 9]
out["categorical"] = {"city": city, "size": size.tolist(), "y_continuous": y_cont.tolist(),
                      "y_binary": y_bin.tolist(), "y_multiclass": y_multi.tolist(),
                      "score_city": score_city, "score_size": score_size}

def frame(cities_, sizes):
    return pd.DataFrame({"city": pd.Series(cities_, dtype=object), "size": np.asarray(sizes, dtype=np.int64)})

X, Xs = frame(city, size), frame(score_city, score_size)

from sklearn.preprocessing import OrdinalEncoder, TargetEncoder
from sklearn.model_selection import KFold, StratifiedKFold
# Missing as NaN: OrdinalEncoder keeps NaN missing (None would be a category of its own).
nan_city = lambda cs: pd.Series([np.nan if c is None else c for c in cs], dtype=object)
oe = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
oe.fit(X.assign(city=nan_city(city)))
oe_score = oe.transform(Xs.assign(city=nan_city(score_city)))
out["ordinal"] = {"categories": [[str(c) for c in cats if not (isinstance(c, float) and np.isnan(c))]
                                 for cats in oe.categories_],
                  "score": np.where(np.isnan(oe_score), None, oe_score).tolist()}

for key, y, cv in [("continuous", y_cont, KFold(5)), ("binary", y_bin, StratifiedKFold(5)),
                   ("multiclass", y_multi, StratifiedKFold(5))]:
    for smooth in ("auto", 2.0):
        te = TargetEncoder(smooth=smooth, cv=cv, target_type=key)
        train = te.fit_transform(X, y)
        full = TargetEncoder(smooth=smooth, target_type=key).fit(X, y)
        out[f"target_{key}_{smooth}"] = {
            "target_mean": np.atleast_1d(te.target_mean_).tolist(),
            "classes": None if te.classes_ is None else [str(c) for c in te.classes_],
            "encodings": [e.tolist() for e in te.encodings_],
            "fit_transform": train.tolist(),
            "transform_train": full.transform(X).tolist(),
            "transform_score": te.transform(Xs).tolist()}

from sklearn.feature_extraction import FeatureHasher
rows = [{k: v for k, v in (("city", c), ("size", str(s))) if v is not None} for c, s in zip(city, size)]
for alt in (True, False):
    fh = FeatureHasher(n_features=16, input_type="dict", alternate_sign=alt)
    out[f"hasher_{alt}"] = fh.transform(rows).toarray().tolist()

# --- text ----------------------------------------------------------------------------------
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer, HashingVectorizer
words = ["data", "pipeline", "swift", "Swift", "night", "batch", "model", "score", "table", "rows",
         "Straße", "café", "CAFÉ", "naïve", "İstanbul", "x", "a1", "snake_case", "42", "数据", "ü"]
seps = [" ", " ", ", ", ". ", "-", "  ", "!", "'", "\t", "/"]
docs = []
for i in range(60):
    k = int(r.integers(0, 9))
    docs.append("".join(words[int(r.integers(0, len(words)))] + seps[int(r.integers(0, len(seps)))] for _ in range(k)))
docs[3] = docs[7]                     # a repeated text
docs[11] = None                       # a null row: an empty document
docs[12] = ""                         # an empty text
score_docs = ["Swift data, unseen words", None, "café CAFE cafés", "zzz"]
sk = lambda ds: ["" if d is None else d for d in ds]
out["text"] = {"docs": docs, "score_docs": score_docs}
for key, vec in [("count", CountVectorizer()),
                 ("count_pruned", CountVectorizer(min_df=2, max_df=0.5)),
                 ("count_max", CountVectorizer(max_features=5)),
                 ("tfidf", TfidfVectorizer()),
                 ("tfidf_options", TfidfVectorizer(smooth_idf=False, sublinear_tf=True, norm="l1", min_df=2))]:
    X = vec.fit_transform(sk(docs)).toarray()
    entry = {"vocabulary": vec.get_feature_names_out().tolist(), "train": X.tolist(),
             "score": vec.transform(sk(score_docs)).toarray().tolist()}
    if hasattr(vec, "idf_"):
        entry["idf"] = vec.idf_.tolist()
    out[f"text_{key}"] = entry
tfs = CountVectorizer().fit_transform(sk(docs)).sum(axis=0).A1
out["text_count_max"]["tf_sorted"] = sorted(tfs.tolist(), reverse=True)[:8]   # no tie at the cut
hv = HashingVectorizer(n_features=32)
out["text_hashing"] = {"train": hv.transform(sk(docs)).toarray().tolist()}
out["text_hashing_plain"] = {"train": HashingVectorizer(n_features=32, alternate_sign=False, norm=None)
                             .transform(sk(docs)).toarray().tolist()}


# --- feature selection ---------------------------------------------------------------------
from sklearn.feature_selection import VarianceThreshold, SelectKBest, f_classif, mutual_info_classif, SelectFromModel
from sklearn.linear_model import LogisticRegression, LinearRegression
x, _ = load("digits")
for t in (0.0, 10.0):
    vt = VarianceThreshold(threshold=t).fit(x)
    out[f"variance_digits_{t:g}"] = {"variances": vt.variances_.tolist(), "support": vt.get_support().tolist()}
for name, k in (("wine", 5), ("breast_cancer", 10), ("iris", 2)):
    x, y = load(name)
    sk = SelectKBest(f_classif, k=k).fit(x, y)
    # mutual_info_classif jitters with its random_state: record its spread over 20 seeds.
    mi = np.array([mutual_info_classif(x, y, random_state=s) for s in range(20)])
    out[f"kbest_{name}"] = {"k": k, "scores": sk.scores_.tolist(), "pvalues": sk.pvalues_.tolist(),
                            "support": sk.get_support().tolist(), "mi_mean": mi.mean(axis=0).tolist(),
                            "mi_min": mi.min(axis=0).tolist(), "mi_max": mi.max(axis=0).tolist()}
for key, name, est, kwargs in [
        ("logistic_breast_cancer", "breast_cancer", LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=10000), {}),
        ("logistic_iris_max2", "iris", LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=10000), {"max_features": 2, "threshold": 0.0}),
        ("linear_diabetes_median", "diabetes", LinearRegression(), {"threshold": "median"})]:
    x, y = load(name)
    sfm = SelectFromModel(est, **kwargs).fit(std(x), y.astype(float) if name == "diabetes" else y)
    out[f"from_model_{key}"] = {"importances": np.abs(sfm.estimator_.coef_).reshape(-1, x.shape[1]).sum(axis=0).tolist(),
                                "threshold": float(sfm.threshold_), "support": sfm.get_support().tolist()}

# --- k-NN imputation -----------------------------------------------------------------------
# diabetes with a NaN wherever (row·p + column) % 7 == 0 (as StageTests' holes), plus an
# entirely missing column "empty"; scoring rows: the first 40 (shifted) with holes where
# (row·p + column) % 5 == 1, a row missing everything, and "empty" given values.
from sklearn.impute import KNNImputer
x, _ = load("diabetes")
n, p = x.shape
train = x.copy()
for i in range(n):
    for j in range(p):
        if (i * p + j) % 7 == 0:
            train[i, j] = np.nan
train = np.hstack([train, np.full((n, 1), np.nan)])
# Scoring rows are shifted copies: an exact duplicate of a training row is at distance 0
# mathematically but a few ulps away in scikit-learn's Gram-form distances (see the tests).
score = np.hstack([x[:40] * 1.01 + 0.001, np.arange(40, dtype=float).reshape(-1, 1)])
for i in range(40):
    for j in range(p):
        if (i * p + j) % 5 == 1:
            score[i, j] = np.nan
score[39, :] = np.nan
for w in ("uniform", "distance"):
    for k in (1, 5):
        imp = KNNImputer(n_neighbors=k, weights=w, keep_empty_features=True).fit(train)
        done = imp.transform(train)
        # Only the filled cells (row-major order of the holes, "empty" left out) and the empty column.
        holes = np.isnan(train[:, :p])
        out[f"knn_{w}_{k}"] = {"train_filled": done[:, :p][holes].tolist(), "train_empty": done[:, p].tolist()[:5],
                               "score": imp.transform(score).tolist()}

with open(os.path.join(HERE, "..", "Expectations", "encoding.json"), "w") as f:
    json.dump(out, f, indent=0)
