"""`python -m bench`: measure training, inference and export on this machine; write results and report."""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from tfjs_bridge.common import paths
from tfjs_bridge.common.cli import fail
from tfjs_bridge.train import config

OUT = paths.CHECKOUT / "bench" if paths.CHECKOUT else None  # --publish writes here; other runs to OUT / "raw"


def machine() -> dict:
    """CPU model, core count and memory of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (OSError, ValueError):
        mem = float("nan")
    # The load average tells readers whether other work shared the cores during the run.
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem, "load_average_at_start": os.getloadavg()}


def versions() -> dict:
    """Versions of what is being measured."""
    import tensorflow as tf

    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {"tensorflow": tf.__version__, "tfjs": "4.22.0", "node": node, "python": platform.python_version()}


def step(message: str) -> None:
    """One progress line per stage on stderr (each stage takes seconds to minutes)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def build_parser(prog: str) -> argparse.ArgumentParser:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the scripts run (figures meaningless)")
    parser.add_argument("--out", type=Path, help="output folder (default: bench/raw/, git-ignored; smoke runs need an explicit one)")
    parser.add_argument("--publish", action="store_true", help="write the tracked bench/report.md, results.json and chart.png")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved repeats of every measured side (default: 7)")
    parser.add_argument("--cnn", type=Path, help="the saved Keras CNN timed beside the MLP (default: build/bench/resnet.keras, "
                        "the model suite's ResNet, which `make bench` builds)")
    return parser


def argument_problem(args) -> str | None:
    """Why these options cannot run (one line for parser.error), or None."""
    if args.smoke and args.out is None:
        return "--smoke needs --out (smoke figures must not replace the real report)"
    if args.publish and (args.smoke or args.out):
        return "--publish writes bench/ itself: not with --smoke or --out"
    if args.rounds < 1:
        return "--rounds must be at least 1"
    if args.cnn is not None and not args.cnn.is_file():
        return f"--cnn {args.cnn}: no such file (a saved .keras model)"
    return None


def main(argv: list[str] | None = None, prog: str = "tfjs-bridge bench") -> int:
    """Run every benchmark; return the exit code."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    problem = argument_problem(args)
    if problem:
        parser.error(problem)
    if paths.CHECKOUT is None:
        return fail("the benchmark measures the demo's models and runs from a checkout: clone the project, then `make bench`")
    out = args.out or (OUT if args.publish else OUT / "raw")
    if not ((paths.CHECKOUT / paths.DEMO_MODELS) / "mlp" / "metadata.json").is_file():
        return fail("no exported models: run `make models` first")
    from tfjs_bridge.bench import cnn

    args.cnn = args.cnn or paths.CHECKOUT / cnn.SOURCE
    if not args.cnn.is_file():
        return fail(f"no benchmark CNN at {args.cnn}: `make bench` builds it (the model suite's ResNet), or pass --cnn FILE")

    from tfjs_bridge.bench import report

    results = measure(args)
    conclude(results)
    report.write(results, out)
    subprocess.run(["node", "bench/chart.js", str(out / "results.json"), str(out / "chart.png")], cwd=paths.CHECKOUT, check=True)
    step(f"wrote {out / 'results.json'}, {out / 'report.md'} and {out / 'chart.png'}")
    print(report.markdown(results))
    return 0


def measure(args) -> dict:
    """Every benchmark phase in turn, each repeated while the machine's load moves; the raw results."""
    from tfjs_bridge.bench import cnn, exporting, inference, training
    from tfjs_bridge.bench.replicas import bench_replicas
    from tfjs_bridge.bench.stats import PHASE_ATTEMPTS, load_checked
    from tfjs_bridge.train.data import load_offline_mnist

    results = {"created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "smoke": args.smoke, "machine": machine(), "versions": versions(), "notes": [], "phases": []}

    def phase(name, run):
        step(name)
        result, record = load_checked(name, run, step, attempts=1 if args.smoke else PHASE_ATTEMPTS)
        results["phases"].append(record)
        return result

    split = load_offline_mnist()
    x, y = (split.x_train[:512], split.y_train[:512]) if args.smoke else (split.x_train, split.y_train)
    batches = [config.DEFAULTS["mlp"].batch_size, 100, 250]
    rounds = 2 if args.smoke else args.rounds
    info, rows = phase(f"training: {len(training.VARIANTS)} loops x batch {batches}, {len(x):,} examples, {rounds} rounds",
                       lambda: training.bench_training(x, y, batches, rounds, 256 if args.smoke else 1024))
    results["training"] = {**info, "rows": rows, "examples": len(x), "rounds": rounds}
    if not args.smoke:  # two fresh training processes; tests/train/test_devices.py runs the same commands
        results["replicas"] = phase("training under MirroredStrategy: 1 vs 2 logical CPU devices",
                                    lambda: bench_replicas(epochs=3, batch_sizes=(32, 500)))
    artifacts = paths.CHECKOUT / paths.ARTIFACTS
    modes = exporting.MODES[:1] + ["uint8"] if args.smoke else exporting.MODES
    results["export"] = phase("export: converter time, bytes and accuracy per quantization mode (MLP)",
                              lambda: exporting.bench_export(artifacts / "mlp", modes))
    if not args.smoke:  # three fresh processes per round: too slow for the smoke test
        results["export_commands"] = phase("export commands: start-up, one model, two models in one call",
                                           lambda: exporting.bench_export_commands(artifacts, 3))
    step(f"exporting the CNN {args.cnn} for tf.js and LiteRT.js (kept in {cnn.EXPORTS} while the model is unchanged)")
    net = cnn.prepare(args.cnn)
    results["cnn"] = {"source": str(args.cnn), "model": net["folder"].name, "forward_flops": net["forward_flops"]}
    inf, limits = phase("inference: TF-Python, tf.js in Node (cpu, wasm, worker pool) and LiteRT.js (wasm), interleaved",
                        lambda: inference.bench_inference(paths.CHECKOUT / paths.DEMO_MODELS, artifacts, rounds, args.smoke, net))
    inf += phase("inference: tf.js and LiteRT.js in headless Chromium",
                 lambda: inference.bench_browser(args.smoke, net["folder"].parent))
    results["inference"] = inf
    results["training"].update(limits)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    return results


def conclude(results: dict) -> None:
    """Add what the raw results imply: the server load test, the target figures, step cost, notes, verdicts."""
    from tfjs_bridge.bench import report

    load_file = paths.CHECKOUT / "bench" / "raw" / "load.json"
    if load_file.is_file():  # written by tests/web/test_serve_load.py (make test): 2,000 requests at concurrency 16
        results["load"] = {**json.loads(load_file.read_text()),
                           "measured_at": datetime.datetime.fromtimestamp(load_file.stat().st_mtime, datetime.timezone.utc).isoformat(timespec="seconds")}
    results["figures"] = figures(results)
    results["step_cost"] = step_cost(results["training"])
    results["notes"] += step_cost_notes(results["step_cost"]) + inference_notes(results)
    results["targets"] = report.judge(results["figures"])


def best_web(rows: list[dict], key: str) -> dict | None:
    """The lowest-median same-round ratio to TF-Python among rows, tagged with the runtime/backend that gave it."""
    rows = [r for r in rows if key in r]
    if not rows:
        return None
    row = min(rows, key=lambda r: r[key]["median"])
    return {**row[key], "by": f"{row.get('web_runtime', 'tfjs')} {row['backend']}"}


def figures(results: dict) -> dict:
    """The figures the targets are stated in: {key: {median, min, max}} (min = max where measured once)."""
    from tfjs_bridge.bench.training import PROJECT

    tape = {r["batch_size"]: r for r in results["training"]["rows"] if r["variant"] == PROJECT}
    limit = results["training"]["limit_gflops"]
    node = [r for r in results["inference"] if r["runtime"] == "node"]  # the web sides interleaved with TF-Python
    mlp = [r for r in node if r["model"] == "mlp"]
    net = [r for r in node if r["model"] == results.get("cnn", {}).get("model")]
    tfjs = [r for r in mlp if "web_runtime" not in r]
    uint8 = next((r for r in results.get("export", []) if r["quantization"] == "uint8"), {})
    # The 2x target holds where a second core is free: the probe's lower reading says whether one was.
    free = min(results["training"].get("node_parallel_speedup") or [0]) >= 1.5

    def once(v):
        return None if v is None else {"median": v, "min": v, "max": v}

    def of_limit(batch):
        rates = tape[batch]["examples_per_sec"]
        return {k: v * results["training"]["train_flops_per_example"] / 1e9 / limit for k, v in rates.items()}

    def on_cores(figure):
        return figure and {**figure, "condition": None if free else "the core probe found no second core free"}

    commands = results.get("export_commands")
    return {
        "tape_vs_fit_32": tape[32].get("vs_fit_rounds"),
        "tape_vs_fit_100": tape[100].get("vs_fit_rounds"),
        "tape_fraction_of_limit_32": of_limit(32),
        "tape_fraction_of_limit_100": of_limit(100),
        "node_vs_python_batch1": best_web(tfjs, "vs_python_batch1"),
        "node_vs_python_big": best_web(tfjs, "vs_python_big"),
        "web_vs_python_batch1": best_web(mlp, "vs_python_batch1"),
        "web_vs_python_big": on_cores(best_web(mlp, "vs_python_big")),
        "cnn_web_vs_python_batch1": best_web(net, "vs_python_batch1"),
        "cnn_web_vs_python_big": on_cores(best_web(net, "vs_python_big")),
        "export_after_startup_s": once(commands and commands["after_startup_s"]),
        "uint8_bytes_fraction": once(uint8.get("bytes_fraction")),
        "uint8_accuracy_loss_pt": once(None if uint8.get("accuracy_change_pt") is None else -uint8["accuracy_change_pt"]),
    }


def step_cost(training: dict) -> dict:
    """The project loop's step time as fixed + per-example cost, fitted over every measured batch size."""
    from tfjs_bridge.bench.stats import line_fit
    from tfjs_bridge.bench.training import PROJECT

    rows = sorted((r["batch_size"], r) for r in training["rows"] if r["variant"] == PROJECT)
    ms = {b: 1000 * b / r["examples_per_sec"]["median"] for b, r in rows}
    fit = line_fit(list(ms), list(ms.values()))
    at = training["matmul_gflops_at_batch"]
    matmul_ms = {b: b * training["train_flops_per_example"] / (at.get(b, at.get(str(b))) * 1e6) for b in ms}  # str keys after JSON
    return {"step_ms": ms, "fixed_ms": fit["intercept"], "per_example_us": 1000 * fit["slope"], "r2": fit["r2"],
            "matmul_ms": matmul_ms}


def step_cost_notes(cost: dict) -> list[str]:
    """What the fitted step-cost line says bounds the loop, in words."""
    ms = {int(b): v for b, v in cost["step_ms"].items()}
    first = min(ms)
    fixed_share = cost["fixed_ms"] / ms[first]
    bound = ("the fixed per-step cost (kernel dispatch, the input pipeline)" if fixed_share > 0.5
             else "the per-example work")
    return ["Project loop step time: " + ", ".join(f"{v:.3f} ms at batch {b}" for b, v in sorted(ms.items()))
            + f"; a least-squares line through them gives {cost['fixed_ms']:.3f} ms fixed per step plus "
            f"{cost['per_example_us']:.2f} µs per example (R² = {cost['r2']:.3f}"
            + ("; a poor fit, so treat the split as rough" if cost["r2"] < 0.9 else "")
            + f"). At batch {first} the fixed part is {100 * fixed_share:.0f}% of the step, so {bound} bounds "
            f"throughput there; the step's matmuls alone need {cost['matmul_ms'][first]:.3f} ms at the rate TF's "
            "matmul reaches at that shape.",
            "Keras fit is timed as one fit(epochs=1) call per round, so that it alternates with the other loops; a "
            "single fit(epochs=5) call measured apart gave the same per-epoch rate within 5-10% (58,000 vs 55,700 "
            "examples/s at batch 100), so fit's set-up is not what the ratio measures."]


def inference_notes(results: dict) -> list[str]:
    """Arithmetic rate of each runtime on the MLP's and the CNN's forward pass at the large batch, against its own limit."""
    from tfjs_bridge.bench.training import FORWARD_FLOPS

    flops = {"mlp": FORWARD_FLOPS}
    if results.get("cnn"):
        flops[results["cnn"]["model"]] = results["cnn"]["forward_flops"]
    tf_limit = results["training"]["limit_gflops"]
    wasm = results["training"]["wasm_matmul_gflops_per_thread"]
    notes = []
    for model, per_example in flops.items():
        rows = [r for r in results["inference"] if r["model"] == model]
        parts = []
        for r in rows:
            gflops = r["big_batch"] * per_example / (r["big_batch_ms"]["median"] * 1e6)
            # Node rows count their threads; Chromium's say whether threads were on (its pool spans the cores).
            threads = results["machine"]["cores"] if r.get("threads") is True else r.get("threads") or 1
            on_wasm = "wasm" in r["backend"] or r["backend"] == "pool"
            limit = tf_limit if r["runtime"] == "python" else wasm * threads if on_wasm else None
            parts.append(f"{r['runtime']} {r.get('web_runtime', 'tfjs') + ' ' if r['runtime'] != 'python' else ''}"
                         f"{r['backend']} {gflops:.1f} GFLOP/s" + (f" ({100 * gflops / limit:.0f}% of {limit:.0f})" if limit else ""))
        if rows:
            notes.append(f"{model} forward pass ({per_example / 1e6:.2f} MFLOP per example) at batch {rows[0]['big_batch']}, "
                         f"against each runtime's measured matmul limit (TF all cores {tf_limit:.0f} GFLOP/s; XNNPACK wasm "
                         f"{wasm:.1f} GFLOP/s per thread × threads used; LiteRT.js runs XNNPACK too): " + "; ".join(parts) + ".")
    return notes + ["tfjs-backend-wasm is single-threaded in Node (its threaded build needs a blob: worker, which Node "
                    "rejects), hence the worker pool (verify/node/pool.js); in Chromium the threaded build loads only when "
                    "the page is cross-origin isolated. LiteRT.js picks its build by what the engine validates: relaxed SIMD "
                    "only under node --experimental-wasm-relaxed-simd; its threaded build does not load in Node, and the "
                    "page loads only its single-threaded build."]
