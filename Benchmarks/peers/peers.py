#!/usr/bin/env python3
"""The Python peers of `sluice-bench`: the same workloads, same sizes and inputs, timed
the same way (best of N, peak RSS reset before the timed runs).

  peers.py WORKLOAD [--data-dir DIR] [--repeats N]   -> JSON lines, one per peer
  peers.py --list                                    -> the workloads that have peers

Each peer runs in the process that prints it; bench-peers runs one process per workload.
"""
import argparse, json, os, re, sys, time

def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass

def peak_rss_mb():
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) / 1024

def best(repeats, body, prepare=lambda: None):
    prepare()
    reset_peak_rss()
    t_best = float("inf")
    for i in range(max(1, repeats)):
        if i > 0:
            prepare()
        t = time.perf_counter()
        body()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, peak_rss_mb()

def figure(workload, peer, seconds, rows, rss, **extra):
    return dict(workload=workload, peer=peer, seconds=seconds, rows=rows, peak_rss_mb=rss, **extra)

# --- compute -------------------------------------------------------------------------

def gemm(name, n, dtype):
    import numpy as np
    def run(args):
        r = np.random.default_rng(1)
        a = r.random((n, n)).astype(dtype); b = r.random((n, n)).astype(dtype); c = a @ b
        s, rss = best(max(args.repeats, 5), lambda: np.matmul(a, b, out=c))
        return [figure(name, "numpy", s, n, rss, gflops=2 * n ** 3 / s / 1e9)]
    return run

KERNEL_N = 4_000_000

def unary(name, fn_name):
    import numpy as np
    def run(args):
        import scipy.special
        fns = {"exp": lambda x: np.exp(x, out=x), "log": lambda x: np.log(x, out=x),
               "tanh": lambda x: np.tanh(x, out=x), "sigmoid": lambda x: scipy.special.expit(x, out=x),
               "relu": lambda x: np.maximum(x, 0, out=x)}
        r = np.random.default_rng(2)
        x0 = r.uniform(0.01, 8, KERNEL_N) if fn_name == "log" else r.uniform(-4, 4, KERNEL_N)
        x = x0.copy()
        def prepare():
            np.copyto(x, x0)
        s, rss = best(max(args.repeats, 5), lambda: fns[fn_name](x), prepare)
        return [figure(name, "numpy" if fn_name != "sigmoid" else "scipy.special.expit", s, KERNEL_N, rss)]
    return run

def add(args):
    import numpy as np
    r = np.random.default_rng(3)
    x = r.random(KERNEL_N); y = r.random(KERNEL_N)
    s, rss = best(max(args.repeats, 5), lambda: np.add(x, y, out=x))
    return [figure("kernel.add.f64", "numpy", s, KERNEL_N, rss)]

def softmax(args):
    import numpy as np, scipy.special
    x = np.random.default_rng(4).standard_normal((4000, 1000))
    s, rss = best(max(args.repeats, 5), lambda: scipy.special.softmax(x, axis=1))
    return [figure("kernel.softmax.f64", "scipy.special.softmax", s, 4000, rss)]

# --- data ----------------------------------------------------------------------------

def generate_churn(args):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import gen_churn
    out = os.path.join(args.data_dir, "churn_generate_1m_peer.csv")
    s, rss = best(1, lambda: gen_churn.make(1_000_000).to_csv(out, index=False))
    os.remove(out)
    return [figure("data.generate.churn_1m", "numpy+pandas (gen_churn.py)", s, 1_000_000, rss)]

# --- csv -----------------------------------------------------------------------------

CSV_READERS = {
    "pandas.read_csv": lambda path: __import__("pandas").read_csv(path),
    "polars.read_csv": lambda path: __import__("polars").read_csv(path),
}

def csv_read_one(args, peer):
    """One reader, in this process: the file is read once untimed (imports, page cache)."""
    path = os.path.join(args.data_dir, "churn_1m.csv")
    read = CSV_READERS[peer]
    frame = read(path)
    holder = [frame]
    def prepare():
        holder.clear()           # the previous frame is freed before the next read
    s, rss = best(args.repeats, lambda: holder.append(read(path)), prepare)
    return figure("csv.read.churn_1m", peer, s, len(holder[-1]), rss)

def csv_read(args):
    """Each reader in its own process, so one's memory does not count against the other."""
    import subprocess
    out = []
    for peer in CSV_READERS:
        cmd = [sys.executable, os.path.abspath(__file__), "csv.read.churn_1m", "--csv-peer", peer,
               "--data-dir", args.data_dir, "--repeats", str(args.repeats)]
        lines = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()
        out += [json.loads(l) for l in lines if l.startswith("{")]
    return out

# --- pipeline -------------------------------------------------------------------------

CHURN_NUMERIC = ["age", "tenure_months", "monthly_charges", "support_calls", "usage_gb", "late_payments"]
CHURN_CATEGORICAL = ["plan", "region", "contract"]

def churn_frame(args):
    import pandas as pd
    return pd.read_csv(os.path.join(args.data_dir, "churn_1m.csv"))

def churn_preparation():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    return ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), CHURN_NUMERIC),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CHURN_CATEGORICAL)],
        remainder="drop")

def prep(args):
    df = churn_frame(args)
    s, rss = best(args.repeats, lambda: churn_preparation().fit_transform(df))
    return [figure("pipeline.prep.churn_1m", "sklearn ColumnTransformer", s, len(df), rss)]

def logreg(args):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    df = churn_frame(args)
    df = df[df["churned"].notna()]
    cut = len(df) * 8 // 10
    train, test = df.iloc[:cut], df.iloc[cut:]
    prep = churn_preparation().fit(train)
    x, xt = prep.transform(train), prep.transform(test)
    y, yt = train["churned"].to_numpy(), test["churned"].to_numpy()
    model = []
    s, rss = best(args.repeats, lambda: model.append(LogisticRegression().fit(x, y)))
    auc = roc_auc_score(yt, model[-1].predict_proba(xt)[:, 1])
    return [figure("fit.logreg.churn_1m", "sklearn lbfgs", s, len(x), rss, auc=auc)]

PEERS = {
    **{f"gemm.{p}gemm.{n}": gemm(f"gemm.{p}gemm.{n}", n, dt)
       for n in (1024, 2048) for p, dt in (("s", "float32"), ("d", "float64"))},
    **{f"kernel.{f}.f64": unary(f"kernel.{f}.f64", f) for f in ("exp", "log", "tanh", "sigmoid", "relu")},
    "kernel.add.f64": add,
    "kernel.softmax.f64": softmax,
    "data.generate.churn_1m": generate_churn,
    "csv.read.churn_1m": csv_read,
    "pipeline.prep.churn_1m": prep,
    "fit.logreg.churn_1m": logreg,
}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workload", nargs="?")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--data-dir", default="bench-data")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--csv-peer", choices=list(CSV_READERS), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.csv_peer:
        print(json.dumps(csv_read_one(args, args.csv_peer)))
        return
    if args.list or not args.workload:
        print("\n".join(PEERS))
        return
    if args.workload not in PEERS:
        sys.exit(f"no peer for workload {args.workload}")
    os.makedirs(args.data_dir, exist_ok=True)
    for fig in PEERS[args.workload](args):
        print(json.dumps(fig))

if __name__ == "__main__":
    main()
