#!/usr/bin/env python3
"""Runs each workload in Sluice and in its Python peers, in the same run, and writes a
side-by-side table of ratios to BENCHMARKS.md.

  compare.py --bench BIN [--data-dir DIR] [--out BENCHMARKS.md] [WORKLOAD ...]
"""
import argparse, datetime, json, os, platform, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))

def json_lines(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]

def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()

def fmt(v, digits=3):
    return "—" if v is None else f"{v:.{digits}g}"

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--data-dir", default="bench-data")
    ap.add_argument("--out", default="BENCHMARKS.md")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("workloads", nargs="*")
    args = ap.parse_args()
    with_peers = subprocess.run([sys.executable, os.path.join(HERE, "peers.py"), "--list"], check=True,
                       capture_output=True, text=True).stdout.split()
    sluice_names = [l.split("\t")[0] for l in subprocess.run([args.bench, "--list"], check=True,
                    capture_output=True, text=True).stdout.splitlines()]
    names = args.workloads or [n for n in sluice_names if n in with_peers]
    rows = []
    for name in names:
        common = ["--data-dir", args.data_dir, "--repeats", str(args.repeats)]
        ours = json_lines([args.bench, name] + common)
        theirs = json_lines([sys.executable, os.path.join(HERE, "peers.py"), name] + common)
        for o in ours:
            for t in theirs:
                rows.append((o, t))
                print(f"{name}: sluice {o['seconds']:.4g}s, {t['peer']} {t['seconds']:.4g}s", file=sys.stderr)
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.date.today()} on {cpu_model()}, {os.cpu_count()} cores, in one run "
        f"(`scripts/bench-peers`). Each figure is the best of {args.repeats}+ runs; peak RSS is the "
        "process's high-water mark during the timed runs (reset before them). **Speed-up** is the "
        "peer's time divided by Sluice's: above 1, Sluice is faster. Machines are shared and noisy: "
        "compare ratios, not absolute times.",
        "",
        "| workload | rows | Sluice s | peer | peer s | speed-up | Sluice RSS MB | peer RSS MB | quality (Sluice / peer) |",
        "|---|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    quality_keys = ["gflops", "auc", "accuracy", "inertia", "r2", "rows_out"]
    for o, t in rows:
        q = "; ".join(f"{k} {fmt(o.get(k), 4)} / {fmt(t.get(k), 4)}" for k in quality_keys if k in o or k in t)
        lines.append(f"| `{o['workload']}` | {o['rows']} | {fmt(o['seconds'])} | {t['peer']} | {fmt(t['seconds'])} | "
                     f"**{t['seconds'] / o['seconds']:.2f}×** | {fmt(o['peak_rss_mb'])} | {fmt(t['peak_rss_mb'])} | {q} |")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)

if __name__ == "__main__":
    main()
