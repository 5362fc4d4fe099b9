#!/usr/bin/env python3
# The reference generator of the churn table (from the project brief), kept here as the
# peer of `sluice-bench data.generate.churn_1m`. Sluice benchmarks read the CSV that
# Sluice's own generator writes, so both sides measure the same rows.
"""Deterministic synthetic 'customer churn' table: numeric, categorical, date,
missing values, outliers and an imbalanced binary label (~8% positive).
usage: gen_churn.py ROWS OUT.csv [--unlabeled-frac 0.2]"""
import sys, numpy as np, pandas as pd

def make(n, seed=7, unlabeled_frac=0.2):
    r = np.random.default_rng(seed)
    age = r.normal(42, 12, n).clip(18, 95)
    tenure = r.gamma(2.0, 18.0, n)
    monthly = r.lognormal(3.8, 0.45, n)
    monthly[r.random(n) < 0.002] *= 40            # outliers
    calls = r.poisson(3.0, n).astype(float)
    usage_gb = r.gamma(1.5, 10.0, n)
    late = r.poisson(0.4, n).astype(float)
    plan = r.choice(["basic", "standard", "premium", "family"], n, p=[.4, .3, .2, .1])
    region = r.choice([f"r{i:02d}" for i in range(12)], n)
    contract = r.choice(["monthly", "annual", "two-year"], n, p=[.55, .3, .15])
    signup = (np.datetime64("2015-01-01") + r.integers(0, 3650, n).astype("timedelta64[D]"))
    z = (-3.2 + 0.9 * (contract == "monthly") - 0.025 * tenure + 0.35 * late
         + 0.12 * calls + 0.004 * (monthly - 45) - 0.01 * (age - 42)
         + 0.5 * (plan == "basic") + r.normal(0, 0.8, n))
    label = (r.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    df = pd.DataFrame({
        "customer_id": np.arange(1, n + 1), "age": age.round(1), "tenure_months": tenure.round(2),
        "monthly_charges": monthly.round(2), "support_calls": calls, "usage_gb": usage_gb.round(3),
        "late_payments": late, "plan": plan, "region": region, "contract": contract,
        "signup_date": signup.astype(str), "churned": label.astype(float)})
    for col, frac in [("age", .05), ("tenure_months", .03), ("monthly_charges", .02),
                      ("usage_gb", .08), ("plan", .04), ("region", .01)]:
        df.loc[r.random(n) < frac, col] = None
    df.loc[r.random(n) < unlabeled_frac, "churned"] = None   # rows to score
    return df

if __name__ == "__main__":
    n, out = int(sys.argv[1]), sys.argv[2]
    make(n).to_csv(out, index=False)
