#!/usr/bin/env python3
"""Writes the scikit-learn results the sparse-feature parity tests (SparseParityTests.swift)
compare against, to Expectations/sparse.json: text vectorizers (TfidfVectorizer,
CountVectorizer) on a small corpus, L1 logistic regression, and L2 logistic regression on a
TF-IDF matrix. The corpora are written into the JSON so the tests read the same documents.
Run from the repository root with scikit-learn installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/sparse.py
Features of the dense datasets are standardised as the tests do: (x - mean) / std, population std."""
import json, os, numpy as np, pandas as pd, sklearn
from sklearn.feature_extraction.text import TfidfVectorizer, CountVectorizer
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy()

def std(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)

out = {"sklearn": sklearn.__version__}

corpus = [
    "The quick brown fox jumps over the lazy dog.",
    "The lazy dog sleeps; the quick fox runs!",
    "A café in Straße: crème brûlée, espresso and a croissant.",
    "Dogs and foxes: the QUICK brown dogs, the lazy brown foxes.",
    "Numbers like 2024 and 42 are tokens too, but 7 is not.",
    "snake_case_words stay whole; hyphen-ated words split.",
    "The fox, the dog, the café and the espresso.",
    "",
    "Brown brown brown: a very brown document about brown dogs.",
    "Ünïcödé words: naïve façade, ÉCOLE and Øresund.",
    "the the the quick quick lazy",
    "Espresso after espresso: the café never sleeps.",
]
unseen = ["A quick brown espresso, never seen before!", "zebra yak 99 the dog"]
out["corpus"] = corpus
out["unseen"] = unseen
for key, v in [("tfidf_default", TfidfVectorizer()),
               ("tfidf_bigrams_sublinear_mindf2", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
               ("counts_bigrams_max12", CountVectorizer(ngram_range=(1, 2), max_features=12)),
               ("tfidf_23grams_l1_rough", TfidfVectorizer(ngram_range=(2, 3), smooth_idf=False, norm="l1", max_df=0.5)),
               ("counts_cased", CountVectorizer(lowercase=False))]:
    x = v.fit_transform(corpus)
    entry = {"vocabulary": v.get_feature_names_out().tolist(), "matrix": x.toarray().tolist(),
             "unseen": v.transform(unseen).toarray().tolist()}
    if hasattr(v, "idf_"):
        entry["idf"] = v.idf_.tolist()
    out[key] = entry
# max_features keeps the most frequent terms: make sure the cut is not between equal counts.
tf = np.asarray(CountVectorizer(ngram_range=(1, 2)).fit_transform(corpus).sum(axis=0)).ravel()
ranked = np.sort(tf)[::-1]
assert ranked[11] != ranked[12], "max_features=12 would cut between ties; change the corpus"

# L1 logistic regression (saga to a tight tolerance; liblinear would penalise the intercept).
for key, name, kwargs in [("l1_logistic_breast_cancer", "breast_cancer", {"C": 0.5}),
                          ("l1_logistic_wine", "wine", {"C": 0.3}),
                          ("l1_logistic_breast_cancer_weighted", "breast_cancer", {"C": 0.25})]:
    x, y = load(name)
    xs = std(x)
    weights = 1.0 + (np.arange(len(y)) % 3) if key.endswith("weighted") else None
    m = LogisticRegression(l1_ratio=1.0, solver="saga", tol=1e-13, max_iter=200000, **kwargs)
    m.fit(xs, y, sample_weight=weights)
    intercepts = m.intercept_ - (m.intercept_.mean() if len(m.classes_) > 2 else 0)
    out[key] = {"classes": [str(c) for c in m.classes_], "coefficients": m.coef_.tolist(),
                "intercepts": intercepts.tolist(), "n_iter": int(m.n_iter_[0])}

# L2 logistic regression on a TF-IDF matrix of generated documents (Zipfian words, two classes).
rng = np.random.default_rng(7)
vocab = [f"w{i}" for i in range(400)]
p = 1.0 / np.arange(1, 401) ** 1.1
p /= p.sum()
docs, labels = [], []
for d in range(300):
    label = int(rng.integers(0, 2))
    words = list(rng.choice(vocab, size=int(rng.integers(5, 30)), p=p))
    words += ["good"] * int(rng.integers(0, 3)) if label == 1 else ["bad"] * int(rng.integers(0, 3))
    rng.shuffle(words)
    docs.append(" ".join(words))
    labels.append("pos" if label == 1 else "neg")
out["text_documents"] = docs
out["text_labels"] = labels
v = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
x = v.fit_transform(docs)
for key, kwargs in [("text_logistic_l2", {"C": 4.0}), ("text_logistic_l1", {"C": 8.0, "l1_ratio": 1.0, "solver": "saga"})]:
    opts = {"tol": 1e-13, "max_iter": 200000}
    opts.update(kwargs)
    m = LogisticRegression(**opts).fit(x, labels)
    out[key] = {"vocabulary_size": len(v.vocabulary_), "classes": [str(c) for c in m.classes_],
                "coefficients": m.coef_.tolist(), "intercepts": m.intercept_.tolist(),
                "probabilities_head": m.predict_proba(x[:5]).tolist()}

with open(os.path.join(HERE, "..", "Expectations", "sparse.json"), "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
