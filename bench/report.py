"""results.json → the Markdown report with targets judged, and the figures the README quotes."""

import json
from pathlib import Path

TARGETS = {
    "tape_vs_fit_32": ("default tape loop vs Keras fit, batch 32 (same model, data, batch)", ">=", 2.0),
    "tape_vs_fit_100": ("default tape loop vs Keras fit, batch 100", ">=", 2.0),
    "tape_fraction_of_limit_32": ("default tape loop, fraction of the measured compute limit, batch 32", ">=", 0.15),
    "tape_fraction_of_limit_100": ("default tape loop, fraction of the measured compute limit, batch 100", ">=", 0.30),
    "node_vs_python_batch1": ("tf.js Node (best backend) latency / TF-Python latency, MLP batch 1", "<=", 1.0),
    "node_vs_python_big": ("tf.js Node (best backend) latency / TF-Python latency, MLP batch 1000", "<=", 2.0),
    "web_vs_python_batch1": ("best web runtime in Node (tf.js or LiteRT.js) latency / TF-Python latency, MLP batch 1", "<=", 1.0),
    "web_vs_python_big": ("best web runtime in Node (tf.js or LiteRT.js) latency / TF-Python latency, MLP batch 1000 "
                          "(where a second core is free)", "<=", 2.0),
    "cnn_web_vs_python_batch1": ("best web runtime in Node latency / TF-Python latency, CNN (suite ResNet) batch 1", "<=", 1.0),
    "cnn_web_vs_python_big": ("best web runtime in Node latency / TF-Python latency, CNN large batch (where a second core "
                              "is free)", "<=", 2.0),
    "export_after_startup_s": ("`python -m export linear` seconds beyond TensorFlow's import", "<=", 5.0),
    "uint8_bytes_fraction": ("uint8 export bytes / float32 bytes (MLP)", "<=", 0.26),
    "uint8_accuracy_loss_pt": ("uint8 export test-accuracy loss, percentage points (MLP)", "<=", 0.5),
}


def judge(figures: dict) -> list[dict]:
    """Each target judged on its median; `every_round` says whether the min/max of the rounds agree with the verdict."""
    rows = []
    for key, (what, op, bound) in TARGETS.items():
        value = figures.get(key)
        if value is None:
            rows.append({"target": key, "what": what, "bound": f"{op} {bound:g}", "value": None, "met": None})
            continue
        ok = (lambda v: v >= bound) if op == ">=" else (lambda v: v <= bound)
        met = ok(value["median"])
        rows.append({"target": key, "what": what, "bound": f"{op} {bound:g}", "value": value["median"],
                     "min": value["min"], "max": value["max"], "met": met,
                     "every_round": ok(value["min"]) == met and ok(value["max"]) == met,
                     **{k: value[k] for k in ("by", "condition") if value.get(k)}})
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


def spread(s: dict) -> str:
    """A median with the min–max of its rounds beside it."""
    return f"{fmt(s['median'])} ({fmt(s['min'])}–{fmt(s['max'])})"


def markdown(results: dict) -> str:
    """The whole report: a heading line, then one section per part of the run, in the order they ran."""
    sections = (header, targets, machine_load, physical_limits, training, replicas, inference, export_times, server_load, notes)
    return "\n".join(part for section in sections for part in section(results)) + "\n"


def header(results: dict) -> list[str]:
    """The title and the machine, load, versions and date the figures belong to."""
    m = results["machine"]
    return [f"# Benchmark report\n\n{m['cpu']} ({m['cores']} cores), {m['memory_gb']:.0f} GB; load average "
            f"{m['load_average_at_start'][0]:.2f} at start, {m.get('load_average_at_end', [float('nan')])[0]:.2f} at end; "
            f"{', '.join(f'{k} {v}' for k, v in results['versions'].items())}; {results['created']}"
            + (" — SMOKE RUN, figures not meaningful" if results["smoke"] else "") + "\n"]


def targets(results: dict) -> list[str]:
    """Each target, its bound, what was measured and whether it was met."""
    verdict = {True: "yes", False: "**no**", None: "not measured"}
    return ["## Targets\n",
            "Each value is the median over interleaved rounds (min–max of the same-round figures beside it); "
            "\"mixed\" where some rounds fall on the other side of the bound.\n",
            "A \"by\" names the runtime and backend that gave the best figure; a condition the target depends on that "
            "did not hold this run is named beside the verdict.\n",
            table(["target", "bound", "measured (min–max)", "met"],
                  [[t["what"], t["bound"], f"{fmt(t['value'])} ({fmt(t.get('min'))}–{fmt(t.get('max'))})"
                    + (f", by {t['by']}" if t.get("by") else ""),
                    verdict[t["met"]] + ("" if t.get("every_round", True) else " (mixed)")
                    + (f"; {t['condition']}" if t.get("condition") else "")] for t in results["targets"]])]


def machine_load(results: dict) -> list[str]:
    """The load average around each phase, and whether it stayed steady."""
    return ["\n## Machine load\n\nThe 1-minute load average before and after each phase (cores busy; this machine is "
            "shared). A phase is repeated when it moved by more than one core; \"no\" marks one kept after "
            "3 tries.\n",
            table(["phase", "seconds", "load before", "load after", "tries", "steady"],
                  [[p["phase"], p.get("seconds"), p["load_before"], p["load_after"], p["attempts"], "yes" if p["steady"] else "**no**"]
                   for p in results.get("phases", [])])]


def physical_limits(results: dict) -> list[str]:
    """The measured compute limits: TF matmul at full size and at the MLP's shape, tf.js wasm, Node's parallelism."""
    m, tr = results["machine"], results["training"]
    return [f"\n## Physical limits\n\nTensorFlow float32 matmul, all {m['cores']} cores (1024 x 1024): "
            f"**{tr['limit_gflops']:.0f} GFLOP/s**, the compute limit the training fractions use. The same matmul at the "
            "MLP's first-layer shape (batch x 784 @ 784 x 100): "
            + ", ".join(f"{v:.0f} GFLOP/s at batch {b}" for b, v in tr["matmul_gflops_at_batch"].items())
            + f". tf.js wasm (XNNPACK) float32 matMul in Node, one thread (1024 x 1024): "
            f"**{tr.get('wasm_matmul_gflops_per_thread', float('nan')):.1f} GFLOP/s**. Cores Node really got during the "
            f"inference phase ({m['cores']} threads on equal loops against one, at its start and end): "
            + " and ".join(f"**{v:.2f}x**" for v in tr.get("node_parallel_speedup", []))
            + ", the most a worker pool can gain on this shared machine.\n"]


def training(results: dict) -> list[str]:
    """Training throughput of every loop against Keras fit, and the project loop's fitted step cost."""
    tr = results["training"]
    out = [f"\n## Training throughput (MLP, {tr['examples']:,} examples/epoch)\n\n"
           f"{tr['train_flops_per_example']:,} FLOPs per training example. Every loop trains one epoch per round, "
           f"in turn, for {tr['rounds']} rounds after a first (tracing/compiling) epoch; × fit is the ratio of medians "
           "with the min–max of the same-round ratios.\n",
           table(["loop", "batch", "examples/s (min–max)", "first epoch s", "× fit (min–max)", "GFLOP/s", "of limit"],
                 [[r["variant"], r["batch_size"], spread(r["examples_per_sec"]), r["first_epoch_s"],
                   f"{fmt(r['vs_fit'])} ({fmt(r['vs_fit_rounds']['min'])}–{fmt(r['vs_fit_rounds']['max'])})" if "vs_fit" in r else "–",
                   r["gflops"], f"{100 * r['fraction_of_limit']:.1f}%"]
                  for r in tr["rows"]])]
    cost = results.get("step_cost")
    if cost:
        out.append(f"\nStep cost of the project loop, fitted over {len(cost['step_ms'])} batch sizes: "
                   f"{cost['fixed_ms']:.3f} ms + {cost['per_example_us']:.2f} µs × batch (R² = {cost['r2']:.3f}).")
    return out


def replicas(results: dict) -> list[str]:
    """MirroredStrategy on 1 and 2 logical devices, when that phase ran."""
    if not results.get("replicas"):
        return []
    return ["\n## MirroredStrategy: 1 vs 2 logical devices (`python -m train mlp --strategy mirrored`)\n\n"
            "Logical CPUs share the same cores: this measures the distributed path's overhead, not a speed-up.\n",
            table(["devices", "global batch", "epochs", "examples/s (median over epochs)", "test accuracy"],
                  [[r["devices"], r["global_batch"], r["epochs"], r["examples_per_sec"],
                    None if r["test_accuracy"] is None else f"{r['test_accuracy']:.4f}"] for r in results["replicas"]])]


def inference(results: dict) -> list[str]:
    """Load time, batch-1 and large-batch latency of every runtime and backend, against TF-Python."""

    def vs(r, key):
        return spread(r[key]) if key in r else "–"

    return ["\n## Inference (same exported models; batch-1 latency, large-batch latency and throughput)\n",
            "Node and TF-Python alternate round by round in one run (medians over rounds, min–max beside); "
            "× Python is the ratio of medians (min–max of same-round ratios). `pool` is verify/node/pool.js (one wasm "
            "worker per core for batches of 128 rows or more; smaller ones on the calling thread). Chromium's "
            "`wasm (threads)` / `wasm (1 thread)` rows are the same page served with and without cross-origin "
            "isolation, alternating.\n",
            table(["runtime", "backend", "model", "load ms", "batch 1 ms", "× Python", "batch N", "batch N ms", "× Python", "examples/s"],
                  [[r["runtime"], r["backend"], r["model"], r["load_ms"], spread(r["batch1_ms"]), vs(r, "vs_python_batch1"),
                    r["big_batch"], spread(r["big_batch_ms"]), vs(r, "vs_python_big"), r["examples_per_sec"]]
                   for r in results["inference"]])]


def export_times(results: dict) -> list[str]:
    """Export sizes and accuracy per quantization, and whole `python -m export` processes timed."""
    out = []
    if results.get("export"):
        out += ["\n## Export\n",
                table(["model", "quantization", "bytes", "of float32", "export s (incl. accuracy check)", "test accuracy", "change (pt)"],
                      [[r["model"], r["quantization"], r["bytes"], r["bytes_fraction"], r["seconds"],
                        None if r.get("accuracy") is None else f"{r['accuracy']:.4f}",
                        r.get("accuracy_change_pt")] for r in results["export"]])]
    commands = results.get("export_commands")
    if commands:
        out += [f"\nWhole `python -m export` processes, {commands['rounds']} interleaved rounds (seconds, median and "
                f"min–max): one model pays {commands['after_startup_s']:.1f} s beyond TensorFlow's import; a second "
                f"model in the same call adds {commands['second_model_s']:.1f} s (the import is paid once).\n",
                table(["process", "seconds (min–max)"], [[k, spread(v)] for k, v in commands["seconds"].items()])]
    return out


def server_load(results: dict) -> list[str]:
    """The production server's load test (written by tests/web/test_serve_load.py), when one was recorded."""
    load = results.get("load")
    if not load:
        return ["\n## Server under load\n\nNot measured in this run: `make test` writes bench/raw/load.json."]
    return [f"\n## Server under load\n\n{load['all']['requests']:,} requests at concurrency {load['concurrency']} "
            f"to `{load['server']}` on 127.0.0.1 (tests/web/test_serve_load.py, {load['measured_at']}): {load['errors']} errors, "
            f"{load['requests_per_s']:.0f} requests/s.\n",
            table(["requests", "count", "p50 ms", "p99 ms"],
                  [[k, v["requests"], v["p50_ms"], v["p99_ms"]] for k, v in [("all", load["all"]), *load["by_kind"].items()]])]


def notes(results: dict) -> list[str]:
    """The run's notes, as a list."""
    return ["\n## Notes\n\n" + "\n".join(f"- {n}" for n in results["notes"])] if results.get("notes") else []


def write(results: dict, out_dir: Path) -> None:
    """results.json and report.md side by side."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (out_dir / "report.md").write_text(markdown(results))
