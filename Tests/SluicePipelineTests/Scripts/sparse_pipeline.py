#!/usr/bin/env python3
"""Writes the scikit-learn results the sparse-pipeline tests (SparsePipelineTests.swift) compare
against, to Expectations/sparse_pipeline.json: a ColumnTransformer of TfidfVectorizer on a text
column and OneHotEncoder on a category column, then LogisticRegression, MultinomialNB and
LinearSVC, on generated documents (written into the JSON, so the tests read the same rows).
Run from the repository root with scikit-learn installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/sparse_pipeline.py"""
import json, os, numpy as np, sklearn
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import OneHotEncoder
from sklearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(11)
words = [f"w{i:02d}" for i in range(40)]
spam_words, ham_words = words[:8], words[8:16]
categories = ["billing", "login", "other", "shipping"]

def document(label):
    k = rng.integers(3, 12)
    common = list(rng.choice(words[16:], size=k))
    special = list(rng.choice(spam_words if label == "spam" else ham_words, size=rng.integers(0, 4)))
    noise = list(rng.choice(words[:16], size=rng.integers(0, 2)))
    toks = common + special + noise
    rng.shuffle(toks)
    return " ".join(toks)

def rows(n):
    labels = [("spam" if rng.random() < 0.4 else "ham") for _ in range(n)]
    cats = [(categories[0] if (l == "spam" and rng.random() < 0.5) else categories[rng.integers(0, 4)]) for l in labels]
    return pd.DataFrame({"text": [document(l) for l in labels], "category": cats, "label": labels})

train, test = rows(160), rows(24)
test.loc[3, "category"] = "refunds"  # unseen category: all zeros
out = {"sklearn": sklearn.__version__,
       "train": {c: list(train[c]) for c in train.columns}, "test": {c: list(test[c]) for c in test.columns}}

def features():
    return ColumnTransformer([("text", TfidfVectorizer(), "text"),
                              ("category", OneHotEncoder(handle_unknown="ignore"), ["category"])])

for key, est in [("logistic", LogisticRegression(C=4.0, tol=1e-10, max_iter=10000)),
                 ("multinomial_nb", MultinomialNB(alpha=0.5)),
                 ("linear_svc", LinearSVC(C=0.5, tol=1e-10, max_iter=100000))]:
    p = Pipeline([("features", features()), ("model", est)]).fit(train[["text", "category"]], train["label"])
    x = p.named_steps["features"].transform(test[["text", "category"]])
    entry = {"feature_count": int(x.shape[1]),
             "classes": [str(c) for c in p.classes_],
             "decision": np.atleast_2d(p.decision_function(test[["text", "category"]]) if key != "multinomial_nb"
                                       else p.predict_log_proba(test[["text", "category"]])).tolist(),
             "predictions": [str(v) for v in p.predict(test[["text", "category"]])]}
    if key != "linear_svc":
        entry["probabilities"] = p.predict_proba(test[["text", "category"]]).tolist()
    out[key] = entry

# TruncatedSVD on a small sparse matrix: 3 components + 10 oversamples cover all 8 columns, so
# the randomized range is exact and the figures are the exact SVD's (components up to sign).
from scipy import sparse as sp
from sklearn.decomposition import TruncatedSVD
m = rng.integers(0, 4, size=(20, 8)).astype(float) * (rng.random((20, 8)) < 0.4)
svd = TruncatedSVD(n_components=3, random_state=0).fit(sp.csr_matrix(m))
out["truncated_svd"] = {"matrix": m.tolist(), "components": svd.components_.tolist(),
                        "singular_values": svd.singular_values_.tolist(),
                        "explained_variance": svd.explained_variance_.tolist(),
                        "explained_variance_ratio": svd.explained_variance_ratio_.tolist()}

with open(os.path.join(HERE, "..", "Expectations", "sparse_pipeline.json"), "w") as f:
    json.dump(out, f, indent=1)
