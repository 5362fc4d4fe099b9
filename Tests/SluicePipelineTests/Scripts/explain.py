#!/usr/bin/env python3
"""Writes the shap results the explanation tests compare against (Expectations/explain.json).
Run from the repository root in the peers venv:
    ~/.cache/sluice-peers/bin/python Tests/SluicePipelineTests/Scripts/explain.py

Trees and forests: scikit-learn's fitted trees (node arrays: feature, threshold, children,
weighted_n_node_samples, value), shap's TreeExplainer(feature_perturbation="tree_path_dependent")
values on 12 rows. For classifiers shap explains each class's probability (the leaf's class
fractions, averaged over a forest's trees); for regressors the prediction. No missing values:
shap sends NaN down the left child of a scikit-learn tree whatever the tree learned.

Linear models: scikit-learn's coefficients and training means, shap's LinearExplainer with an
Independent masker over every training row (max_samples = all rows, so its background mean is
the training mean), on 12 rows; the explained output is the prediction (linear regression) or
the decision function (logistic regression: the logit for two classes, each class's score for
more)."""
import json, os, numpy as np, pandas as pd, sklearn, shap
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "Data")
ROWS = 12

def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    return df.drop(columns="target").to_numpy(float), df["target"].to_numpy()

def tree_arrays(t, classifier):
    value = t.value[:, 0, :] if classifier else t.value[:, 0, :1]
    if classifier:
        value = value / value.sum(axis=1, keepdims=True)
    leaf = t.children_left < 0
    return {"feature": [-1 if l else int(f) for f, l in zip(t.feature, leaf)],
            "threshold": [0.0 if l else float(v) for v, l in zip(t.threshold, leaf)],
            "left": [0 if l else int(c) for c, l in zip(t.children_left, leaf)],
            "right": [0 if l else int(c) for c, l in zip(t.children_right, leaf)],
            "weighted_samples": t.weighted_n_node_samples.astype(float).tolist(),
            "samples": t.n_node_samples.astype(int).tolist(),
            "value": value.astype(float).tolist()}

def shap_case(model, x, classifier):
    trees = model.estimators_ if hasattr(model, "estimators_") else [model]
    rows = x[:ROWS]
    explainer = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    values = np.asarray(explainer.shap_values(rows))  # (rows, features[, classes])
    if values.ndim == 3:
        values = values.transpose(0, 2, 1)  # rows, classes, features
    output = model.predict_proba(rows) if classifier else model.predict(rows).reshape(-1, 1)
    return {"trees": [tree_arrays(t.tree_, classifier) for t in trees], "features": int(x.shape[1]),
            "rows": rows.tolist(), "output": np.asarray(output).tolist(),
            "expected_value": np.ravel(explainer.expected_value).astype(float).tolist(),
            "values": values.reshape(ROWS, -1).tolist()}

out = {"sklearn": sklearn.__version__, "shap": shap.__version__}

x, y = load("iris")
out["tree_iris"] = shap_case(DecisionTreeClassifier(max_depth=4, random_state=0).fit(x, y), x[::12], True)
x, y = load("diabetes")
out["tree_diabetes"] = shap_case(DecisionTreeRegressor(max_depth=5, random_state=0).fit(x, y), x[::35], False)
x, y = load("wine")
out["forest_wine"] = shap_case(RandomForestClassifier(n_estimators=8, max_depth=5, random_state=0).fit(x, y), x[::14], True)
x, y = load("breast_cancer")
out["forest_breast_cancer"] = shap_case(
    RandomForestClassifier(n_estimators=6, max_depth=6, class_weight="balanced", random_state=0).fit(x, y), x[::47], True)
x, y = load("diabetes")
out["forest_diabetes"] = shap_case(RandomForestRegressor(n_estimators=6, max_depth=6, random_state=0).fit(x, y.astype(float)),
                                   x[::36], False)

def linear_case(model, x, score):
    explainer = shap.LinearExplainer(model, shap.maskers.Independent(x, max_samples=len(x)))
    rows = x[:ROWS * 5:5]
    values = np.asarray(explainer.shap_values(rows))
    if values.ndim == 3:
        values = values.transpose(0, 2, 1)
    return {"coefficients": np.atleast_2d(model.coef_).tolist(), "intercepts": np.ravel(model.intercept_).tolist(),
            "means": x.mean(axis=0).tolist(), "rows": rows.tolist(),
            "output": np.asarray(score(rows)).reshape(ROWS, -1).tolist(),
            "expected_value": np.ravel(explainer.expected_value).astype(float).tolist(),
            "values": values.reshape(ROWS, -1).tolist()}

x, y = load("diabetes")
m = LinearRegression().fit(x, y.astype(float))
out["linear_diabetes"] = linear_case(m, x, m.predict)
x, y = load("breast_cancer")
xs = (x - x.mean(axis=0)) / x.std(axis=0)
m = LogisticRegression(max_iter=1000).fit(xs, y)
out["logistic_breast_cancer"] = linear_case(m, xs, m.decision_function)
x, y = load("wine")
xs = (x - x.mean(axis=0)) / x.std(axis=0)
m = LogisticRegression(max_iter=1000).fit(xs, y)
out["logistic_wine"] = linear_case(m, xs, m.decision_function)

with open(os.path.join(HERE, "..", "Expectations", "explain.json"), "w") as f:
    json.dump(out, f)
print({k: (v if isinstance(v, str) else sorted(v)) for k, v in out.items()})
