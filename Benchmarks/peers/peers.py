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

def score(args):
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    df = churn_frame(args)
    labelled = df[df["churned"].notna()]
    model = make_pipeline(churn_preparation(), LogisticRegression(tol=1e-6)).fit(labelled, labelled["churned"])
    rows = df.drop(columns=["churned"])
    def run():
        p = model.predict_proba(rows)
        classes = model.classes_
        out = pd.DataFrame({"customer_id": rows["customer_id"].to_numpy(), "prediction": classes[np.argmax(p, axis=1)]})
        for k, c in enumerate(classes):
            out[f"probability_{c:g}"] = p[:, k]
        return out
    s, rss = best(args.repeats, run)
    return [figure("score.churn_1m", "sklearn Pipeline.predict_proba + DataFrame", s, len(rows), rss)]

def smote(args):
    from imblearn.over_sampling import SMOTE
    from sklearn.impute import SimpleImputer
    df = churn_frame(args)
    df = df[df["churned"].notna()].iloc[:160_000]
    x = SimpleImputer(strategy="median").fit_transform(df[CHURN_NUMERIC])
    y = df["churned"].to_numpy()
    out = []
    s, rss = best(args.repeats, lambda: out.append(SMOTE(random_state=7).fit_resample(x, y)))
    return [figure("balance.smote.churn_160k", "imbalanced-learn SMOTE", s, len(x), rss, rows_out=len(out[-1][0]))]
# --- postgres ------------------------------------------------------------------------

CHURN_DDL = """(customer_id bigint, age double precision, tenure_months double precision,
  monthly_charges double precision, support_calls double precision, usage_gb double precision,
  late_payments double precision, plan text, region text, contract text, signup_date date,
  churned double precision)"""
PREDICTION_DDL = """(customer_id bigint PRIMARY KEY, churn_probability double precision, predicted boolean,
  model_version text, run_id text, scored_at timestamptz)"""
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

def database_url():
    """DATABASE_URL, else the project's throwaway cluster (as sluice-bench uses)."""
    import subprocess
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    out = subprocess.run([os.path.join(ROOT, "scripts", "throwaway-pg"), "start"], check=True,
                         capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if l.startswith("postgres")][-1]

def ensure_churn_table(url, data_dir):
    """bench_churn_1m with the column types Sluice gives it, loaded from the churn CSV if missing."""
    import psycopg
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('bench_churn_1m') IS NOT NULL").fetchone()[0]
        if exists and conn.execute("SELECT count(*) FROM bench_churn_1m").fetchone()[0] == 1_000_000:
            return
        conn.execute("DROP TABLE IF EXISTS bench_churn_1m")
        conn.execute("CREATE TABLE bench_churn_1m " + CHURN_DDL)
        with conn.cursor().copy("COPY bench_churn_1m FROM STDIN (FORMAT csv, HEADER)") as copy, \
                open(os.path.join(data_dir, "churn_1m.csv"), "rb") as f:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        conn.execute("VACUUM ANALYZE bench_churn_1m")

CHURN_TYPES = ["int8", "float8", "float8", "float8", "float8", "float8", "float8",
               "text", "text", "text", "date", "float8"]

def pg_read(args):
    import subprocess, psycopg
    url = database_url()
    ensure_churn_table(url, args.data_dir)
    figs = []

    def psycopg_copy():
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            with cur.copy("COPY bench_churn_1m TO STDOUT (FORMAT BINARY)") as copy:
                copy.set_types(CHURN_TYPES)
                rows = list(copy.rows())
        assert len(rows) == 1_000_000
    s, rss = best(args.repeats, psycopg_copy)
    figs.append(figure("pg.read.churn_1m", "psycopg binary COPY (tuples)", s, 1_000_000, rss))

    import polars as pl
    def polars_psycopg():
        with psycopg.connect(url) as conn:
            df = pl.read_database("SELECT * FROM bench_churn_1m", connection=conn)
        assert df.height == 1_000_000
    s, rss = best(args.repeats, polars_psycopg)
    figs.append(figure("pg.read.churn_1m", "polars.read_database (psycopg)", s, 1_000_000, rss))

    cx_url = url.replace("postgres://", "postgresql://", 1)
    def polars_connectorx():
        df = pl.read_database_uri("SELECT * FROM bench_churn_1m", cx_url, engine="connectorx")
        assert df.height == 1_000_000
    s, rss = best(args.repeats, polars_connectorx)
    figs.append(figure("pg.read.churn_1m", "polars.read_database_uri (connectorx)", s, 1_000_000, rss))

    import pandas as pd, warnings
    def pandas_read_sql():
        with psycopg.connect(url) as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = pd.read_sql("SELECT * FROM bench_churn_1m", conn)
        assert len(df) == 1_000_000
    s, rss = best(args.repeats, pandas_read_sql)
    figs.append(figure("pg.read.churn_1m", "pandas.read_sql (psycopg)", s, 1_000_000, rss))

    def psql_copy():
        subprocess.run(["psql", url, "-X", "-q", "-c", "\\copy bench_churn_1m TO '/dev/null' (FORMAT binary)"], check=True)
    s, rss = best(args.repeats, psql_copy)
    figs.append(figure("pg.read.churn_1m", "psql \\copy binary to /dev/null (server limit)", s, 1_000_000, rss))
    return figs

def prediction_rows(n, shift=0.0):
    """The rows sluice-bench writes (the same shapes; values from numpy's generator)."""
    import numpy as np, datetime
    p = np.minimum(1.0, np.random.default_rng(11).random(n) + shift)
    at = datetime.datetime(2025, 11, 21, tzinfo=datetime.timezone.utc)
    return [(i + 1, float(p[i]), bool(p[i] >= 0.5), "churn-logreg-2026.11.21", "run-0001", at) for i in range(n)]

PREDICTION_TYPES = ["int8", "float8", "bool", "text", "text", "timestamptz"]

def pg_write(upsert):
    name = "pg.write.upsert_1m" if upsert else "pg.write.append_1m"
    def run(args):
        import subprocess, tempfile, psycopg
        url = database_url()
        table = "peer_predictions_upsert" if upsert else "peer_predictions_append"
        n = 1_000_000
        conn = psycopg.connect(url, autocommit=True)
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"CREATE TABLE {table} " + PREDICTION_DDL)

        def copy_rows(cur, target, rows):
            with cur.copy(f"COPY {target} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(PREDICTION_TYPES)
                for r in rows:
                    copy.write_row(r)
        rows = prediction_rows(n, 0.01)

        def previous_night(lo, hi):
            conn.execute(f"""INSERT INTO {table} SELECT g, 0.5, false, 'churn-logreg-2026.11.20', 'run-0000',
                '2026-11-20T00:00:00Z' FROM generate_series({lo}, {hi}) g""")

        def prepare():
            # As sluice-bench: append into an empty table; upsert new keys over the previous night's rows.
            conn.execute(f"TRUNCATE {table}")
            if upsert:
                previous_night(1_000_001, 2_000_000)
                conn.execute(f"VACUUM ANALYZE {table}")   # last night's rows are settled
            conn.execute("CHECKPOINT")

        def psycopg_write():
            with psycopg.connect(url) as c, c.cursor() as cur:   # one transaction, committed on exit
                if upsert:
                    cur.execute(f"CREATE TEMP TABLE staging (LIKE {table}) ON COMMIT DROP")
                    copy_rows(cur, "staging", rows)
                    cur.execute(f"""INSERT INTO {table} SELECT * FROM staging ON CONFLICT (customer_id) DO UPDATE SET
                        churn_probability = EXCLUDED.churn_probability, predicted = EXCLUDED.predicted,
                        model_version = EXCLUDED.model_version, run_id = EXCLUDED.run_id, scored_at = EXCLUDED.scored_at""")
                else:
                    copy_rows(cur, table, rows)
        s, rss = best(args.repeats, psycopg_write, prepare)
        extra = {}
        if upsert:   # the rerun case: every key exists, every row is updated
            conn.execute(f"TRUNCATE {table}")
            previous_night(1, 1_000_000)
            conn.execute(f"VACUUM ANALYZE {table}")
            conn.execute("CHECKPOINT")
            t = time.perf_counter()
            psycopg_write()
            extra["all_updates_seconds"] = time.perf_counter() - t
        figs = [figure(name, "psycopg binary COPY" + (" + INSERT ON CONFLICT" if upsert else ""), s, n, rss, **extra)]

        if not upsert:
            # psql \copy of the same rows from a binary file (made once, untimed).
            path = os.path.join(tempfile.gettempdir(), "sluice_peer_predictions.bin")
            conn.execute(f"TRUNCATE {table}")
            with conn.cursor() as cur:
                copy_rows(cur, table, rows)
                with cur.copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as copy, open(path, "wb") as f:
                    for chunk in copy:
                        f.write(chunk)
            def psql_copy():
                subprocess.run(["psql", url, "-X", "-q", "-c", f"\\copy {table} FROM '{path}' (FORMAT binary)"], check=True)
            s, rss = best(args.repeats, psql_copy, prepare)
            figs.append(figure(name, "psql \\copy binary from file", s, n, rss))
            os.remove(path)
        conn.execute(f"DROP TABLE {table}")
        conn.close()
        return figs
    return run

# --- e2e: the nightly job -------------------------------------------------------------

def e2e(score_only):
    """The nightly job as a pandas + scikit-learn + psycopg script would run it: COPY each
    query out as CSV into pandas, fit the pipeline, predict, COPY the scores into a staging
    table and replace the night's rows (DELETE + INSERT … SELECT) in one transaction."""
    name = "e2e.score.churn_1m" if score_only else "e2e.nightly.churn_1m"
    def run(args):
        import io, pickle, tempfile
        import numpy as np, pandas as pd, psycopg
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler
        url = database_url()
        ensure_churn_table(url, args.data_dir)
        table = "peer_e2e_score_preds" if score_only else "peer_e2e_nightly_preds"
        def read(conn, query):
            buf = io.BytesIO()
            with conn.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER)") as copy:
                for data in copy:
                    buf.write(data)
            buf.seek(0)
            return pd.read_csv(buf)
        def pipeline():
            prep = ColumnTransformer([
                ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), CHURN_NUMERIC),
                ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                      OneHotEncoder(handle_unknown="ignore", sparse_output=False)), CHURN_CATEGORICAL)],
                remainder="drop")
            return make_pipeline(prep, LogisticRegression())
        def publish(conn, rows, model):
            p = model.predict_proba(rows)
            classes = model.classes_
            out = pd.DataFrame({"customer_id": rows["customer_id"].to_numpy(), "prediction": classes[np.argmax(p, axis=1)],
                                "probability_0": p[:, 0], "probability_1": p[:, 1]})
            out["logical_date"] = "2026-12-01"
            out["model_version"] = 1
            out["run_id"] = 1
            out["scored_at"] = pd.Timestamp.now(tz="UTC").isoformat()
            with conn.transaction():
                conn.execute(f"""CREATE TABLE IF NOT EXISTS {table} (customer_id bigint, prediction double precision,
                    probability_0 double precision, probability_1 double precision, logical_date date,
                    model_version int, run_id bigint, scored_at timestamptz)""")
                conn.execute(f"CREATE TEMP TABLE stage (LIKE {table}) ON COMMIT DROP")
                with conn.cursor().copy("COPY stage FROM STDIN (FORMAT csv)") as copy:
                    copy.write(out.to_csv(index=False, header=False))
                conn.execute(f"DELETE FROM {table} WHERE logical_date = '2026-12-01'")
                conn.execute(f"INSERT INTO {table} SELECT * FROM stage")
            return len(out)
        written = []
        if score_only:
            with psycopg.connect(url) as conn:
                labelled = read(conn, "SELECT * FROM bench_churn_1m WHERE churned IS NOT NULL")
            path = os.path.join(tempfile.gettempdir(), "peer_e2e_model.pkl")
            with open(path, "wb") as f:
                pickle.dump(pipeline().fit(labelled, labelled["churned"]), f)
            del labelled
            def body():
                with psycopg.connect(url) as conn:
                    with open(path, "rb") as f:
                        model = pickle.load(f)
                    written.append(publish(conn, read(conn, "SELECT * FROM bench_churn_1m"), model))
        else:
            def body():
                with psycopg.connect(url) as conn:
                    labelled = read(conn, "SELECT * FROM bench_churn_1m WHERE churned IS NOT NULL")
                    rows = read(conn, "SELECT * FROM bench_churn_1m WHERE churned IS NULL")
                    model = pipeline().fit(labelled, labelled["churned"])
                    written.append(publish(conn, rows, model))
        s, rss = best(args.repeats, body)
        return [figure(name, "pandas + sklearn + psycopg", s, written[-1], rss)]
    return run

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
    "score.churn_1m": score,
    "balance.smote.churn_160k": smote,
    "pg.read.churn_1m": pg_read,
    "pg.write.append_1m": pg_write(False),
    "pg.write.upsert_1m": pg_write(True),
    "e2e.nightly.churn_1m": e2e(False),
    "e2e.score.churn_1m": e2e(True),
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

# --- trees and forests (fit.tree*, fit.forest*) -------------------------------------

def tree_peer(name, make, label):
    def run(args):
        from sklearn.metrics import roc_auc_score
        df = churn_frame(args)
        df = df[df["churned"].notna()]
        cut = len(df) * 8 // 10
        train, test = df.iloc[:cut], df.iloc[cut:]
        prep = churn_preparation().fit(train)
        x, xt = prep.transform(train), prep.transform(test)
        y, yt = train["churned"].to_numpy(), test["churned"].to_numpy()
        model = []
        s, rss = best(args.repeats, lambda: model.append(make().fit(x, y)))
        auc = roc_auc_score(yt, model[-1].predict_proba(xt)[:, 1])
        return [figure(name, label, s, len(x), rss, auc=auc)]
    return run

def _tree():
    from sklearn.tree import DecisionTreeClassifier
    return DecisionTreeClassifier(max_depth=12, random_state=7)

def _forest():
    from sklearn.ensemble import RandomForestClassifier
    return RandomForestClassifier(n_estimators=100, max_depth=12, n_jobs=2, random_state=7)

PEERS.update({
    "fit.tree.churn_1m": tree_peer("fit.tree.churn_1m", _tree, "sklearn DecisionTreeClassifier"),
    "fit.tree_hist.churn_1m": tree_peer("fit.tree_hist.churn_1m", _tree, "sklearn DecisionTreeClassifier"),
    "fit.forest.churn_1m": tree_peer("fit.forest.churn_1m", _forest, "sklearn RandomForestClassifier n_jobs=2"),
    "fit.forest_exact.churn_1m": tree_peer("fit.forest_exact.churn_1m", _forest, "sklearn RandomForestClassifier n_jobs=2"),
})
# --- histogram gradient boosting ------------------------------------------------------

def churn_boosting_data(args):
    """The prepared churn features as fit.logreg.churn_1m prepares them: the first 80% of
    labelled rows to train; the last 200k labelled rows to predict (the held-out rows last)."""
    df = churn_frame(args)
    df = df[df["churned"].notna()]
    cut = len(df) * 8 // 10
    train, tail = df.iloc[:cut], df.iloc[max(0, len(df) - 200_000):]
    prep = churn_preparation().fit(train)
    return (prep.transform(train), train["churned"].to_numpy().astype(int), prep.transform(tail),
            tail["churned"].to_numpy().astype(int), len(df) - cut)

def held_out_auc(p, y, held_out):
    from sklearn.metrics import roc_auc_score
    return roc_auc_score(y[-held_out:], p[-held_out:])

def lightgbm_model():
    import lightgbm as lgb
    return lgb.LGBMClassifier(n_estimators=100, num_leaves=31, learning_rate=0.1, max_bin=255, min_child_samples=20,
                              n_jobs=2, verbose=-1)

def hgb_fit(args):
    from sklearn.ensemble import HistGradientBoostingClassifier
    x, y, xp, yp, held = churn_boosting_data(args)
    figs = []
    models = []
    s, rss = best(args.repeats, lambda: models.append(lightgbm_model().fit(x, y)))
    figs.append(figure("fit.hgb.churn_1m", "LightGBM 2 threads", s, len(x), rss,
                       auc=held_out_auc(models[-1].predict_proba(xp)[:, 1], yp, held)))
    models = []
    s, rss = best(args.repeats, lambda: models.append(HistGradientBoostingClassifier(
        max_iter=100, max_leaf_nodes=31, learning_rate=0.1, early_stopping=False, random_state=7).fit(x, y)))
    figs.append(figure("fit.hgb.churn_1m", "sklearn HistGradientBoosting", s, len(x), rss,
                       auc=held_out_auc(models[-1].predict_proba(xp)[:, 1], yp, held)))
    return figs

def hgb_predict(args):
    x, y, xp, yp, held = churn_boosting_data(args)
    model = lightgbm_model().fit(x, y)
    out = []
    s, rss = best(args.repeats, lambda: out.append(model.predict_proba(xp)))
    return [figure("predict.hgb.churn_1m", "LightGBM predict", s, len(xp), rss,
                   auc=held_out_auc(out[-1][:, 1], yp, held))]

PEERS.update({"fit.hgb.churn_1m": hgb_fit, "predict.hgb.churn_1m": hgb_predict})

def treeshap_explain(args):
    """shap's TreeExplainer (path-dependent, its C++ TreeSHAP) on LightGBM's model of fit.hgb.churn_1m,
    for the 200k predicted rows."""
    import numpy as np
    import shap
    x, y, xp, yp, held = churn_boosting_data(args)
    model = lightgbm_model().fit(x, y)
    explainer = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    out = []
    s, rss = best(args.repeats, lambda: out.append(explainer.shap_values(xp, check_additivity=False)))
    phi = out[-1][1] if isinstance(out[-1], list) else out[-1]
    base = explainer.expected_value
    base = base[-1] if np.ndim(base) else base
    raw = model.predict(xp, raw_score=True)
    return [figure("explain.treeshap.churn_200k", "shap TreeExplainer (LightGBM model)", s, len(xp), rss,
                   max_sum_error=float(np.max(np.abs(base + phi.sum(axis=1) - raw))))]

PEERS.update({"explain.treeshap.churn_200k": treeshap_explain})
# --- learners: k-NN, naive Bayes, k-means, PCA, lasso ---------------------------------

def labelled_churn_prepared(args):
    df = churn_frame(args)
    df = df[df["churned"].notna()]
    cut = len(df) * 8 // 10
    train, test = df.iloc[:cut], df.iloc[cut:]
    prep = churn_preparation().fit(train)
    return prep.transform(train), train["churned"].to_numpy(), prep.transform(test), test["churned"].to_numpy()

def knn(args):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.metrics import roc_auc_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    df = churn_frame(args)
    df = df[df["churned"].notna()].iloc[:160_000]
    train, test = df.iloc[:128_000], df.iloc[128_000:]
    prep = ColumnTransformer([("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), CHURN_NUMERIC)]).fit(train)
    x, xt = prep.transform(train), prep.transform(test)
    model = KNeighborsClassifier(n_neighbors=5).fit(x, train["churned"].to_numpy())
    out = []
    s, rss = best(args.repeats, lambda: out.append(model.predict_proba(xt)))
    auc = roc_auc_score(test["churned"].to_numpy(), out[-1][:, 1])
    return [figure("predict.knn.churn_200k", "sklearn KNeighborsClassifier", s, len(xt), rss, auc=auc)]

def naive_bayes(args):
    from sklearn.metrics import roc_auc_score
    from sklearn.naive_bayes import GaussianNB
    x, y, xt, yt = labelled_churn_prepared(args)
    model = []
    s, rss = best(args.repeats, lambda: model.append(GaussianNB().fit(x, y)))
    auc = roc_auc_score(yt, model[-1].predict_proba(xt)[:, 1])
    return [figure("fit.nb.churn_1m", "sklearn GaussianNB", s, len(x), rss, auc=auc)]

def kmeans(args):
    from sklearn.cluster import KMeans
    x = churn_preparation().fit_transform(churn_frame(args))
    model = []
    s, rss = best(args.repeats, lambda: model.append(KMeans(n_clusters=8, n_init=1, random_state=7).fit(x)))
    inertias = [float(KMeans(n_clusters=8, n_init=1, random_state=seed).fit(x).inertia_) for seed in range(1, 6)]
    return [figure("fit.kmeans.churn_1m", "sklearn KMeans", s, len(x), rss, inertia=float(model[-1].inertia_),
                   iterations=int(model[-1].n_iter_), inertia_mean_5_seeds=sum(inertias) / 5,
                   inertia_max_5_seeds=max(inertias))]

def pca(args):
    from sklearn.decomposition import PCA
    x = churn_preparation().fit_transform(churn_frame(args))
    model = []
    s, rss = best(args.repeats, lambda: model.append(PCA(random_state=7).fit(x)))
    return [figure("fit.pca.churn_1m", "sklearn PCA", s, len(x), rss,
                   explained_variance_ratio_0=float(model[-1].explained_variance_ratio_[0]))]

def lasso(args):
    from sklearn.linear_model import Lasso
    from sklearn.metrics import r2_score
    x, y, xt, yt = labelled_churn_prepared(args)
    model = []
    s, rss = best(args.repeats, lambda: model.append(Lasso(alpha=1e-3).fit(x, y.astype(float))))
    return [figure("fit.lasso.churn_1m", "sklearn Lasso", s, len(x), rss, r2=r2_score(yt, model[-1].predict(xt)))]

PEERS.update({
    "predict.knn.churn_200k": knn,
    "fit.nb.churn_1m": naive_bayes,
    "fit.kmeans.churn_1m": kmeans,
    "fit.pca.churn_1m": pca,
    "fit.lasso.churn_1m": lasso,
})

# --- neural networks (PyTorch, CPU, 2 threads) ----------------------------------------

def torch_epoch(name, make_model, make_data, batch, binary=False):
    def run(args):
        import numpy as np
        import torch
        torch.set_num_threads(2)
        torch.manual_seed(0)
        x, y = make_data(np.random.default_rng(1))
        x = torch.from_numpy(x)
        y = torch.from_numpy(y)
        loss_fn = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()
        state = {}
        def prepare():
            state["model"] = make_model()
            state["opt"] = torch.optim.Adam(state["model"].parameters(), lr=1e-3)
        def epoch():
            model, opt = state["model"], state["opt"]
            model.train()
            order = torch.randperm(x.shape[0])
            for i in range(0, x.shape[0], batch):
                idx = order[i:i + batch]
                opt.zero_grad()
                out = model(x[idx])
                loss = loss_fn(out.squeeze(1), y[idx].float()) if binary else loss_fn(out, y[idx])
                loss.backward()
                opt.step()
            state["loss"] = loss.item()
        s, rss = best(args.repeats, epoch, prepare)
        return [figure(name, f"pytorch {torch.__version__} (2 threads)", s, x.shape[0], rss, loss=state["loss"])]
    return run

def _mlp():
    import torch
    return torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))

def _cnn():
    import torch
    n = torch.nn
    return n.Sequential(n.Unflatten(1, (1, 28, 28)), n.Conv2d(1, 32, 3), n.ReLU(), n.MaxPool2d(2), n.Conv2d(32, 64, 3), n.ReLU(),
                        n.MaxPool2d(2), n.Flatten(), n.Linear(1600, 128), n.ReLU(), n.Linear(128, 10))

class _LSTMNet:
    @staticmethod
    def make():
        import torch
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = torch.nn.Embedding(10000, 32)
                self.lstm = torch.nn.LSTM(32, 64, batch_first=True)
                self.out = torch.nn.Linear(64, 1)
            def forward(self, x):
                h, _ = self.lstm(self.emb(x))
                return self.out(h[:, -1, :])
        return Net()

def _images(rows):
    import numpy as np
    return lambda r: (r.random((rows, 784), dtype=np.float32), r.integers(0, 10, rows).astype(np.int64))

def _tokens(r):
    import numpy as np
    return r.integers(0, 10000, (5000, 100)).astype(np.int64), r.integers(0, 2, 5000).astype(np.int64)

PEERS.update({
    "nn.mlp.epoch_60k": torch_epoch("nn.mlp.epoch_60k", _mlp, _images(60_000), 128),
    "nn.cnn.epoch_10k": torch_epoch("nn.cnn.epoch_10k", _cnn, _images(10_000), 128),
    "nn.lstm.epoch_5k": torch_epoch("nn.lstm.epoch_5k", _LSTMNet.make, _tokens, 64, binary=True),
})

# --- sparse text: TF-IDF + logistic regression ---------------------------------------

def text_logreg(args):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    path = os.path.join(args.data_dir, "text_120k.tsv")  # written by sluice-bench (runs first)
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f]
    labels = [r[0] for r in rows]
    docs = [r[1] if len(r) > 1 else "" for r in rows]
    train, test, y = docs[:100_000], docs[100_000:], labels[:100_000]
    out = []
    def body():
        v = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=100_000, sublinear_tf=True)
        x = v.fit_transform(train)
        out.append((v, LogisticRegression(C=1.0, max_iter=100, tol=1e-4).fit(x, y), x))
    s, rss = best(args.repeats, body)
    v, m, x = out[-1]
    auc = roc_auc_score([1 if l == "pos" else 0 for l in labels[100_000:]], m.predict_proba(v.transform(test))[:, 1])
    return [figure("fit.text_logreg.100k", "sklearn TfidfVectorizer + LogisticRegression", s, len(train), rss, auc=auc,
                   features=x.shape[1], stored=x.nnz, iterations=int(m.n_iter_[0]))]

PEERS.update({"fit.text_logreg.100k": text_logreg})


def mlp_churn(args):
    """The churn pipeline ending in MLPClassifier(64, 64), 3 epochs (max_iter=3), fitted on
    the first 80% of labelled rows; ROC-AUC on the rest."""
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import roc_auc_score
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    df = churn_frame(args)
    df = df[df["churned"].notna()]
    cut = len(df) * 8 // 10
    train, test = df.iloc[:cut], df.iloc[cut:]
    y = train["churned"].to_numpy().astype(int)
    model = []
    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.append(make_pipeline(churn_preparation(), MLPClassifier(hidden_layer_sizes=(64, 64), max_iter=3,
                                                                          random_state=7)).fit(train, y))
    s, rss = best(args.repeats, fit)
    auc = roc_auc_score(test["churned"].to_numpy().astype(int), model[-1].predict_proba(test)[:, 1])
    return [figure("fit.mlp.churn_1m", "sklearn MLPClassifier (64, 64), 3 epochs", s, len(train), rss, auc=auc)]

PEERS.update({"fit.mlp.churn_1m": mlp_churn})

# --- linear SVM (session 5, sparse branch) -------------------------------------------------

def linear_svc(args):
    from sklearn.metrics import roc_auc_score
    from sklearn.svm import LinearSVC
    x, y, xt, yt = labelled_churn_prepared(args)
    model = []
    s, rss = best(args.repeats, lambda: model.append(LinearSVC(C=1.0, tol=1e-4, max_iter=1000, random_state=7).fit(x, y)))
    auc = roc_auc_score(yt, model[-1].decision_function(xt))
    return [figure("fit.linsvc.churn_1m", "sklearn LinearSVC", s, len(x), rss, auc=auc,
                   passes=int(model[-1].n_iter_))]

PEERS.update({"fit.linsvc.churn_1m": linear_svc})

def linear_svr(args):
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import r2_score
    from sklearn.svm import LinearSVR
    x, y, xt, yt = labelled_churn_prepared(args)
    model = []
    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.append(LinearSVR(C=1.0, epsilon=0.0, loss="squared_epsilon_insensitive", tol=1e-4,
                                   max_iter=1000, dual="auto", random_state=7)
                         .fit(x, y.astype(float)))
    s, rss = best(args.repeats, fit)
    return [figure("fit.linsvr.churn_1m", "sklearn LinearSVR", s, len(x), rss, r2=r2_score(yt, model[-1].predict(xt)),
                   passes=int(model[-1].n_iter_))]

PEERS.update({"fit.linsvr.churn_1m": linear_svr})

# --- kernel SVM ----------------------------------------------------------------------

def svc_rbf(args):
    from sklearn.metrics import roc_auc_score
    from sklearn.svm import SVC
    df = churn_frame(args)
    df = df[df["churned"].notna()].iloc[:20_000]
    train, test = df.iloc[:16_000], df.iloc[16_000:]
    prep = churn_preparation().fit(train)
    x, xt = prep.transform(train), prep.transform(test)
    y = train["churned"].to_numpy().astype(int)
    model = []
    s, rss = best(args.repeats, lambda: model.append(SVC(C=1.0, gamma="scale").fit(x, y)))
    auc = roc_auc_score(test["churned"].to_numpy().astype(int), model[-1].decision_function(xt))
    return [figure("fit.svc_rbf.churn_25k", "sklearn SVC (rbf)", s, len(x), rss, auc=auc,
                   support_vectors=int(model[-1].support_.size))]

PEERS.update({"fit.svc_rbf.churn_25k": svc_rbf})

if __name__ == "__main__":
    main()
