#!/usr/bin/env python3
"""Writes the scikit-learn SVC / SVR results the kernel SVM parity tests (KernelSVMParityTests.swift)
compare against, to Expectations/kernel_svm.json. Run from the repository root with scikit-learn
installed (e.g. the peers venv):
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/kernel_svm.py
Features are standardised as the tests do: (x - mean) / std, population std. The dual coefficients
and intercepts are libsvm's (scikit-learn's private `_dual_coef_` and `_intercept_` = -rho, which
scikit-learn flips for two classes in the public attributes). The tolerance is tight (1e-8) so that
the solution, not the solver's stopping point, is compared."""
import json, os, numpy as np, pandas as pd, sklearn
from sklearn.svm import SVC, SVR

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy()

def std(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)

out = {"sklearn": sklearn.__version__}
for key, name, kwargs, weighted in [
        ("svc_iris_rbf", "iris", {"C": 1.0}, False),
        ("svc_breast_cancer_rbf", "breast_cancer", {"C": 10.0}, False),
        ("svc_breast_cancer_poly", "breast_cancer", {"C": 1.0, "kernel": "poly", "degree": 3, "coef0": 1.0}, False),
        ("svc_breast_cancer_sigmoid", "breast_cancer", {"C": 0.5, "kernel": "sigmoid", "gamma": 0.01}, False),
        ("svc_wine_linear_balanced", "wine", {"C": 0.1, "kernel": "linear", "class_weight": "balanced"}, False),
        ("svc_breast_cancer_weighted", "breast_cancer", {"C": 2.0}, True)]:
    x, y = load(name)
    xs = std(x)
    w = (1 + np.arange(len(y)) % 3).astype(float) if weighted else None
    m = SVC(tol=1e-8, **kwargs).fit(xs, y, sample_weight=w)
    out[key] = {"classes": [str(c) for c in m.classes_], "support": m.support_.tolist(),
                "n_support": m.n_support_.tolist(), "dual_coef": m._dual_coef_.tolist(),
                "rho": (-m._intercept_).tolist(), "decision": m.decision_function(xs).tolist(),
                "predictions": [str(c) for c in m.predict(xs)]}

# Probabilities: libsvm's internal 5-fold shuffle differs from Sluice's, so the tests compare
# within a margin, over several seeds.
for key, name in [("svc_iris_probability", "iris"), ("svc_breast_cancer_probability", "breast_cancer")]:
    x, y = load(name)
    xs = std(x)
    runs = [SVC(probability=True, random_state=s).fit(xs, y) for s in range(5)]
    out[key] = {"classes": [str(c) for c in runs[0].classes_],
                "probabilities": np.mean([m.predict_proba(xs) for m in runs], axis=0).tolist(),
                "probA": [m.probA_.tolist() for m in runs], "probB": [m.probB_.tolist() for m in runs]}

for key, kwargs, weighted in [("svr_diabetes_rbf", {"C": 100.0, "epsilon": 5.0}, False),
                              ("svr_diabetes_linear", {"C": 10.0, "epsilon": 1.0, "kernel": "linear"}, False),
                              ("svr_diabetes_weighted", {"C": 50.0, "epsilon": 2.0}, True)]:
    x, y = load("diabetes")
    xs = std(x)
    w = (1 + np.arange(len(y)) % 3).astype(float) if weighted else None
    m = SVR(tol=1e-8, **kwargs).fit(xs, y.astype(float), sample_weight=w)
    out[key] = {"support": m.support_.tolist(), "dual_coef": m.dual_coef_[0].tolist(),
                "intercept": float(m.intercept_[0]), "predictions": m.predict(xs).tolist()}

with open(os.path.join(HERE, "..", "Expectations", "kernel_svm.json"), "w") as f:
    json.dump(out, f, indent=1)
