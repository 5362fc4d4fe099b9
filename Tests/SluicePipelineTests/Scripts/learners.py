#!/usr/bin/env python3
"""Writes the scikit-learn results the SluiceLearn parity tests (LearnerParityTests*.swift)
compare against, to Expectations/learners.json. Run from the repository root with
scikit-learn installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/learners.py
Features are standardised exactly as the tests do: (x - mean) / std, population std.
Train rows are the even rows, test rows the odd ones."""
import json, os, numpy as np, pandas as pd, sklearn
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy()

def std(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)

out = {"sklearn": sklearn.__version__}

# k-NN: fit on the even rows, predict the odd ones.
for key, name, kwargs in [("knn_wine_uniform", "wine", {}),
                          ("knn_wine_distance_manhattan", "wine", {"n_neighbors": 7, "weights": "distance", "metric": "manhattan"}),
                          ("knn_breast_cancer_cosine", "breast_cancer", {"n_neighbors": 9, "weights": "distance", "metric": "cosine"}),
                          ("knn_breast_cancer_brute", "breast_cancer", {"n_neighbors": 5})]:
    x, y = load(name)
    xs = std(x)
    m = KNeighborsClassifier(**kwargs).fit(xs[0::2], y[0::2])
    out[key] = {"classes": [str(c) for c in m.classes_], "probabilities": m.predict_proba(xs[1::2]).tolist(),
                "neighbors": m.kneighbors(xs[1::2][:10], return_distance=False).tolist(),
                "distances": m.kneighbors(xs[1::2][:10])[0].tolist()}
for key, kwargs in [("knn_diabetes_uniform", {}), ("knn_diabetes_distance", {"n_neighbors": 8, "weights": "distance"}),
                    ("knn_diabetes_manhattan", {"n_neighbors": 3, "metric": "manhattan"})]:
    x, y = load("diabetes")
    xs = std(x)
    m = KNeighborsRegressor(**kwargs).fit(xs[0::2], y[0::2].astype(float))
    out[key] = {"predictions": m.predict(xs[1::2]).tolist()}

# Naive Bayes: fit on the even rows, probabilities of the odd ones (digits: the first 200 odd ones).
from sklearn.naive_bayes import GaussianNB, MultinomialNB, ComplementNB, BernoulliNB
def weights_of(n):
    return 1.0 + (np.arange(n) % 4)
for key, name, model, weighted in [
        ("gnb_iris", "iris", GaussianNB(), False),
        ("gnb_wine_weighted", "wine", GaussianNB(), True),
        ("gnb_breast_cancer_smoothing", "breast_cancer", GaussianNB(var_smoothing=1e-4, priors=[0.5, 0.5]), False),
        ("mnb_digits", "digits", MultinomialNB(), False),
        ("mnb_digits_weighted", "digits", MultinomialNB(alpha=0.3, fit_prior=False), True),
        ("cnb_digits", "digits", ComplementNB(), False),
        ("cnb_digits_norm", "digits", ComplementNB(alpha=0.5, norm=True), True),
        ("bnb_digits", "digits", BernoulliNB(binarize=4.0), False),
        ("bnb_digits_weighted", "digits", BernoulliNB(alpha=2.0, binarize=8.0), True)]:
    x, y = load(name)
    xt, yt = x[0::2], y[0::2]
    model.fit(xt, yt, sample_weight=weights_of(len(yt)) if weighted else None)
    entry = {"classes": [str(c) for c in model.classes_], "probabilities": model.predict_proba(x[1::2][:200]).tolist()}
    if isinstance(model, GaussianNB):
        entry.update(means=model.theta_.tolist(), variances=model.var_.tolist(), epsilon=float(model.epsilon_))
    else:
        entry.update(feature_log_prob=model.feature_log_prob_.tolist())
    out[key] = entry

# k-means: the best inertia of 10 k-means++ runs.
from sklearn.cluster import KMeans
for key, name, k, standardise in [("kmeans_iris", "iris", 3, False), ("kmeans_wine", "wine", 3, True),
                                  ("kmeans_breast_cancer", "breast_cancer", 5, True)]:
    x, _ = load(name)
    x = std(x) if standardise else x
    m = KMeans(n_clusters=k, n_init=10, random_state=0).fit(x)
    out[key] = {"inertia": float(m.inertia_)}

# PCA: components (up to sign), explained variance and its ratio, whitened projections.
from sklearn.decomposition import PCA
for key, name, kwargs, standardise in [("pca_wine_full", "wine", {"svd_solver": "full"}, True),
                                       ("pca_diabetes_eigh", "diabetes", {"n_components": 4, "svd_solver": "covariance_eigh", "whiten": True}, False),
                                       ("pca_digits_randomized", "digits", {"n_components": 3, "svd_solver": "randomized", "random_state": 0}, False)]:
    x, _ = load(name)
    x = std(x) if standardise else x
    m = PCA(**kwargs).fit(x)
    out[key] = {"components": m.components_.tolist(), "explained_variance": m.explained_variance_.tolist(),
                "explained_variance_ratio": m.explained_variance_ratio_.tolist(),
                "transformed_head": m.transform(x[:5]).tolist()}

# Lasso and elastic net at fixed alphas (tight tolerance), and LassoCV's choice.
from sklearn.linear_model import Lasso, ElasticNet, LassoCV, ElasticNetCV
x, y = load("diabetes")
y = y.astype(float)
w = 1.0 + (np.arange(len(y)) % 3)
for key, model, weights in [("lasso_diabetes", Lasso(alpha=0.1, tol=1e-12, max_iter=100000), None),
                            ("lasso_diabetes_small_alpha", Lasso(alpha=0.005, tol=1e-12, max_iter=100000), None),
                            ("enet_diabetes_weighted", ElasticNet(alpha=0.01, l1_ratio=0.3, tol=1e-12, max_iter=100000), w),
                            ("enet_diabetes_no_intercept", ElasticNet(alpha=0.02, l1_ratio=0.7, fit_intercept=False, tol=1e-12, max_iter=100000), None)]:
    model.fit(x, y, sample_weight=weights)
    out[key] = {"coefficients": model.coef_.tolist(), "intercept": float(model.intercept_)}
for key, model in [("lassocv_diabetes", LassoCV(cv=5, tol=1e-10, max_iter=100000)),
                   ("enetcv_diabetes", ElasticNetCV(l1_ratio=0.5, alphas=30, cv=4, tol=1e-10, max_iter=100000))]:
    model.fit(x, y)
    out[key] = {"alpha": float(model.alpha_), "coefficients": model.coef_.tolist(), "intercept": float(model.intercept_),
                "alphas": model.alphas_.tolist()}

# Linear SVM, dual coordinate descent, tight tolerance: w is unique (the primal is strictly convex).
from sklearn.svm import LinearSVC
for key, name, kwargs in [("linsvc_breast_cancer", "breast_cancer", {"C": 0.1}),
                          ("linsvc_breast_cancer_hinge", "breast_cancer", {"C": 0.05, "loss": "hinge"}),
                          ("linsvc_wine_balanced", "wine", {"C": 0.5, "class_weight": "balanced"})]:
    x, y = load(name)
    xs = std(x)
    m = LinearSVC(dual=True, tol=1e-10, max_iter=1_000_000, random_state=0, **kwargs).fit(xs, y)
    out[key] = {"classes": [str(c) for c in m.classes_], "coefficients": m.coef_.tolist(),
                "intercepts": np.atleast_1d(m.intercept_).tolist(), "decision_head": m.decision_function(xs[:5]).tolist()}

# Calibration, cross-fitted on unshuffled 5-fold KFold (the Swift side's stratified: false).
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
for key, name, base, method in [
        ("calibrated_logistic_sigmoid_bc", "breast_cancer", LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000), "sigmoid"),
        ("calibrated_logistic_isotonic_bc", "breast_cancer", LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000), "isotonic"),
        ("calibrated_svc_sigmoid_wine", "wine", LinearSVC(dual=True, tol=1e-10, max_iter=1_000_000, random_state=0), "sigmoid")]:
    x, y = load(name)
    xs = std(x)
    order = np.random.default_rng(0).permutation(len(y)) if name == "wine" else np.arange(len(y))  # wine is sorted by class
    xs, y = xs[order], y[order]
    m = CalibratedClassifierCV(base, method=method, cv=KFold(5)).fit(xs, y)
    out[key] = {"order": order.tolist(), "classes": [str(c) for c in m.classes_], "probabilities": m.predict_proba(xs).tolist()}

with open(os.path.join(HERE, "..", "Expectations", "learners.json"), "w") as f:
    json.dump(out, f, indent=1)
