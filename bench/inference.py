"""Inference timing: TF-Python on the SavedModels against tf.js in Node (cpu, wasm, the worker pool) and LiteRT.js
(wasm, for folders with a model.tflite), interleaved round by round in one run, and both web runtimes in headless
Chromium (tf.js cross-origin isolated or not; LiteRT.js on wasm and WebGPU)."""

import json
import os
import subprocess
import time

import numpy as np

from tfjs_bridge.bench.stats import interleave, ratio, spread
from tfjs_bridge.common import paths
from tfjs_bridge.common.quiet import tf

NODE_BACKENDS = ("cpu", "wasm", "pool")
# LiteRT.js for folders exported with --runtime tfjs,litert, each in a Node process of its own (LiteRT.js loads one
# wasm build per process): the build it picks in plain Node 20 (compat: no relaxed SIMD), and its relaxed-SIMD
# build where Node's flag enables that. Its threaded build does not load in Node (no blob: workers).
LITERT_BACKENDS = {"litert-wasm": (), "litert-wasm (relaxed SIMD)": ("--experimental-wasm-relaxed-simd",)}


def time_calls(fn, runs: int, warmup: int = 2) -> float:
    """Median milliseconds of fn() after warm-up."""
    times = []
    for i in range(runs + warmup):
        started = time.perf_counter()
        fn()
        if i >= warmup:
            times.append(1000 * (time.perf_counter() - started))
    return spread(times)["median"]


class NodeSide:
    """bench/infer.js as a long-lived process: one request line in, one JSON line out."""

    def __init__(self, flags=()):
        self.proc = subprocess.Popen(["node", *flags, "bench/infer.js"], cwd=paths.CHECKOUT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def ask(self, **request) -> dict:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline() or '{"error": "bench/infer.js ended"}')
        if "error" in reply:
            raise RuntimeError(f"bench/infer.js: {reply['error']}")
        return reply

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.proc.stdout.close()


def python_model(artifacts_dir, meta: dict):
    """The SavedModel counterpart of an exported folder as fn(batch) → ms per call, and its load time."""
    started = time.perf_counter()
    fn = tf.saved_model.load(str(artifacts_dir / str(meta["counterpart"]) / "saved_model")).signatures["serving_default"]
    load_ms = 1000 * (time.perf_counter() - started)
    (spec,), (out_spec,) = meta["inputs"], meta["outputs"]
    rng = np.random.default_rng(42)
    inputs = {}

    def run(batch: int, runs: int) -> float:
        if batch not in inputs:
            inputs[batch] = tf.constant(rng.uniform(0, 1, (batch, *spec["shape"][1:])).astype(np.float32))
        # .numpy() makes each call include the read-back, as tf.js's await y.data() does.
        return time_calls(lambda: fn(**{spec["name"]: inputs[batch]})[out_spec["name"]].numpy(), runs)

    return run, load_ms


def demo_models(models_dir, artifacts_dir):
    """(folder, metadata, Python side, Python load ms) of each exported demo model with a SavedModel counterpart."""
    for meta_file in sorted(models_dir.glob("*/metadata.json")):
        meta = json.loads(meta_file.read_text())
        if meta["counterpart"] and (artifacts_dir / meta["counterpart"] / "saved_model").is_dir():
            yield (meta_file.parent, meta, *python_model(artifacts_dir, meta))


def bench_model(folder, meta, py, py_load, plan: dict, node, litert_nodes, rounds: int) -> list[dict]:
    """One model's rows: TF-Python and every web side, interleaved round by round at batch 1 and plan["big"].

    plan: big (the large batch), runs1/runs_big (calls per side per round), backends (the tf.js Node ones),
    cpu_big_runs (plain-JS cpu at the large batch takes ~0.3 s per call on the MLP: measured once, not per round).
    """
    big, runs1, runs_big, dir_ = plan["big"], plan["runs1"], plan["runs_big"], str(folder)
    has_tflite = "file" in (meta.get("litert") or {})
    side_of = {**{b: (node, b) for b in plan["backends"]},
               **({b: (n, "litert-wasm") for b, n in litert_nodes.items()} if has_tflite else {})}
    loads = {b: proc.ask(load=dir_, backend=wire) for b, (proc, wire) in side_of.items()}
    sides = {("python", 1): lambda: py(1, runs1), ("python", big): lambda: py(big, runs_big)}
    for b, (proc, wire) in side_of.items():
        sides[b, 1] = lambda p=proc, w=wire: p.ask(time=dir_, backend=w, batch=1, runs=runs1)["median"]
        if b != "cpu":
            sides[b, big] = lambda p=proc, w=wire: p.ask(time=dir_, backend=w, batch=big, runs=runs_big)["median"]
    samples = interleave(sides, rounds)
    if "cpu" in side_of:
        samples["cpu", big] = [node.ask(time=dir_, backend="cpu", batch=big, runs=plan["cpu_big_runs"])["median"]]
    rows = []
    for backend, load_ms, threads in [("tensorflow", py_load, None), *((b, loads[b]["load_ms"], loads[b]["threads"]) for b in side_of)]:
        key = "python" if backend == "tensorflow" else backend
        row = {"runtime": "python" if key == "python" else "node", "model": folder.name,
               **({"web_runtime": "litert", "simd": loads[key].get("simd")} if key in LITERT_BACKENDS else {}),
               "backend": backend, "load_ms": load_ms, "threads": threads, "big_batch": big,
               "batch1_ms": spread(samples[key, 1]), "big_batch_ms": spread(samples[key, big])}
        row["examples_per_sec"] = big * 1000 / row["big_batch_ms"]["median"]
        if key != "python":
            row["vs_python_batch1"] = ratio(samples[key, 1], samples["python", 1])
            if len(samples[key, big]) == rounds:
                row["vs_python_big"] = ratio(samples[key, big], samples["python", big])
        rows.append(row)
    return rows


def bench_inference(models_dir, artifacts_dir, rounds: int, smoke: bool = False, cnn: dict | None = None) -> tuple[list[dict], dict]:
    """Rows per runtime, backend and model (batch-1 and large-batch latency), and the wasm matmul rate per thread.

    cnn: bench/cnn.py's prepare() (its folder and Python side), timed like the demo models but without the plain-JS
    cpu backend (seconds per call at its large batch).
    """
    demo = {"big": 50 if smoke else 1000, "runs1": 3 if smoke else 40, "runs_big": 2 if smoke else 8,
            "backends": NODE_BACKENDS, "cpu_big_runs": 1 if smoke else 3}
    node = NodeSide()
    litert_nodes = {b: NodeSide(flags) for b, flags in LITERT_BACKENDS.items()}
    try:
        wasm = node.ask(matmul=256 if smoke else 1024)["gflops"]
        # Cores this process really gets on a shared machine: what the worker pool can use at best.
        usable = [node.ask(parallel=os.cpu_count())["speedup"]]
        rows = []
        for folder, meta, py, py_load in demo_models(models_dir, artifacts_dir):
            rows += bench_model(folder, meta, py, py_load, demo, node, litert_nodes, rounds)
        if cnn:  # smoke: the goldens' batch (16), which model.tflite has a signature for, and no pool (its workers
            # each load the CNN, seconds; the demo models run the pool's code path)
            plan = {**demo, "big": 16 if smoke else cnn["big"], "runs_big": 2 if smoke else 3,
                    "backends": ("wasm",) if smoke else ("wasm", "pool")}
            meta = json.loads((cnn["folder"] / "metadata.json").read_text())
            rows += bench_model(cnn["folder"], meta, cnn["python"], cnn["python_load_ms"], plan, node, litert_nodes, rounds)
        usable.append(node.ask(parallel=os.cpu_count())["speedup"])  # and again at the end
        return rows, {"wasm_matmul_gflops_per_thread": wasm, "node_parallel_speedup": usable}
    finally:
        for side in (node, *litert_nodes.values()):
            side.close()


def bench_browser(smoke: bool = False, cnn_models=None) -> list[dict]:
    """tf.js in headless Chromium (cpu, wasm, webgl; wasm with and without cross-origin isolation) and LiteRT.js (wasm,
    WebGPU where Chromium gives an adapter), via bench/browser.js; cnn_models: the CNN's models folder, served too."""
    cmd = ["node", "bench/browser.js"] + (["--smoke"] if smoke else []) + (["--cnn", str(cnn_models)] if cnn_models else [])
    out = subprocess.run(cmd, cwd=paths.CHECKOUT, capture_output=True, text=True, timeout=900, check=True)
    return json.loads(out.stdout)
