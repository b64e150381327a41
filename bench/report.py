"""results.json → the Markdown report with targets judged, and the figures the README quotes."""

import json
from pathlib import Path

TARGETS = {
    "tape_vs_fit": ("project's default tape loop vs Keras fit (same model, data, batch)", ">=", 2.0),
    "tape_fraction_of_limit": ("default tape loop, fraction of the measured compute limit", ">=", 0.30),
    "node_vs_python_batch1": ("tf.js Node (best backend) latency / TF-Python latency, batch 1", "<=", 1.0),
    "node_vs_python_big": ("tf.js Node (best backend) latency / TF-Python latency, batch 1000", "<=", 2.0),
    "uint8_bytes_fraction": ("uint8 export bytes / float32 bytes (MLP)", "<=", 0.26),
    "uint8_accuracy_loss_pt": ("uint8 export test-accuracy loss, percentage points (MLP)", "<=", 0.5),
}


def judge(figures: dict) -> list[dict]:
    """Each target with its measured value and whether it was met (None where not measured)."""
    rows = []
    for key, (what, op, bound) in TARGETS.items():
        value = figures.get(key)
        met = None if value is None else (value >= bound if op == ">=" else value <= bound)
        rows.append({"target": key, "what": what, "bound": f"{op} {bound:g}", "value": value, "met": met})
    return rows


def fmt(v, digits=3) -> str:
    """Numbers for tables: 3 significant digits, thousands separated when large."""
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.{digits}g}"


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(results: dict) -> str:
    """The whole report."""
    m = results["machine"]
    out = [f"# Benchmark report\n\n{m['cpu']} ({m['cores']} cores), {m['memory_gb']:.0f} GB; "
           f"{', '.join(f'{k} {v}' for k, v in results['versions'].items())}; {results['created']}"
           + (" — SMOKE RUN, figures not meaningful" if results["smoke"] else "") + "\n"]
    out.append("## Targets\n")
    out.append(table(["target", "bound", "measured", "met"],
                     [[t["what"], t["bound"], t["value"], {True: "yes", False: "**no**", None: "not measured"}[t["met"]]]
                      for t in results["targets"]]))
    tr = results["training"]
    out.append(f"\n## Training throughput (MLP, {tr['examples']:,} examples/epoch)\n\n"
               f"Compute limit: {tr['limit_gflops']:.0f} GFLOP/s (measured float32 matmul); "
               f"{tr['train_flops_per_example']:,} FLOPs per training example. The same matmul at the MLP's "
               "first-layer shape (batch x 784 @ 784 x 100) reaches "
               + ", ".join(f"{v:.0f} GFLOP/s at batch {b}" for b, v in tr["matmul_gflops_at_batch"].items())
               + f". Median of {tr['repeats']} epochs after a first (tracing/compiling) epoch.\n")
    out.append(table(["loop", "batch", "examples/s (min–max)", "first epoch s", "× fit", "GFLOP/s", "of limit"],
                     [[r["variant"], r["batch_size"],
                       f"{fmt(r['examples_per_sec']['median'])} ({fmt(r['examples_per_sec']['min'])}–{fmt(r['examples_per_sec']['max'])})",
                       r["first_epoch_s"], r.get("vs_fit"), r["gflops"], f"{100 * r['fraction_of_limit']:.1f}%"]
                      for r in tr["rows"]]))
    if results.get("replicas"):
        out.append("\n## MirroredStrategy: 1 vs 2 logical devices (`python -m train mlp --strategy mirrored`)\n\n"
                   "Logical CPUs share the same cores: this measures the distributed path's overhead, not a speed-up.\n")
        out.append(table(["devices", "global batch", "epochs", "examples/s (median over epochs)", "test accuracy"],
                         [[r["devices"], r["global_batch"], r["epochs"], r["examples_per_sec"],
                           None if r["test_accuracy"] is None else f"{r['test_accuracy']:.4f}"] for r in results["replicas"]]))
    inf = results["inference"]
    out.append("\n## Inference (same exported models; batch-1 latency, large-batch latency and throughput)\n")
    out.append(table(["runtime", "backend", "model", "load ms", "batch 1 ms (median)", "batch N", "batch N ms", "examples/s"],
                     [[r["runtime"], r["backend"], r["model"], r["load_ms"], r["batch1_ms"]["median"], r["big_batch"],
                       r["big_batch_ms"]["median"], r["examples_per_sec"]] for r in inf]))
    if results.get("export"):
        out.append("\n## Export\n")
        out.append(table(["model", "quantization", "bytes", "of float32", "export s (incl. accuracy check)", "test accuracy", "change (pt)"],
                         [[r["model"], r["quantization"], r["bytes"], r["bytes_fraction"], r["seconds"],
                           None if r.get("accuracy") is None else f"{r['accuracy']:.4f}",
                           r.get("accuracy_change_pt")] for r in results["export"]]))
    load = results.get("load")
    if load:
        out.append(f"\n## Server under load\n\n{load['all']['requests']:,} requests at concurrency {load['concurrency']} "
                   f"to `{load['server']}` on 127.0.0.1 (tests/test_load.py, {load['measured_at']}): {load['errors']} errors, "
                   f"{load['requests_per_s']:.0f} requests/s.\n")
        out.append(table(["requests", "count", "p50 ms", "p99 ms"],
                         [[k, v["requests"], v["p50_ms"], v["p99_ms"]] for k, v in [("all", load["all"]), *load["by_kind"].items()]]))
    else:
        out.append("\n## Server under load\n\nNot measured in this run: `make test` writes bench/raw/load.json.")
    if results.get("notes"):
        out.append("\n## Notes\n\n" + "\n".join(f"- {n}" for n in results["notes"]))
    return "\n".join(out) + "\n"


def write(results: dict, out_dir: Path) -> None:
    """results.json and report.md side by side."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (out_dir / "report.md").write_text(markdown(results))
